/**
 * Prints the Prometheus rules file generated from src/observe/slo-rules.ts (the rules AIOS also
 * evaluates in process): `npx tsx scripts/prometheus-rules.ts > ops/prometheus/aios-rules.yml`.
 * tests/observe/slo.test.ts fails when the committed file and the rules differ.
 */
import { prometheusRules } from "../src/observe/index.js";

process.stdout.write(prometheusRules());
