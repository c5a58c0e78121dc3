/** The CLI's and the daemon's version (package.json's, kept in step by hand). */
export const VERSION = "0.1.0";
