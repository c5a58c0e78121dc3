#!/usr/bin/env escript
%%! +P 4000000
%% The Erlang node bench/sdk-path.ts compares the SDK path with, run in the same bench run.
%%   escript bench/erlang-node.erl spawn N   N processes spawned one after another by one process,
%%                                           each parked in receive (kept alive, like idle agents);
%%                                           prints the seconds and the process memory per process
%%   escript bench/erlang-node.erl send M    one process sends M messages to one receiver process,
%%                                           which counts them; prints the seconds until the
%%                                           receiver has the last one and the rate (one-to-one)
%% cpu_seconds is the VM's CPU time over the same span (statistics(runtime), all schedulers).
%% Each prints one JSON object on stdout. +P (line 2: escript reads emulator flags only there)
%% raises the process limit (default 262,144) above 1M.
-mode(compile).

main(["spawn", NStr]) ->
    N = list_to_integer(NStr),
    erlang:garbage_collect(),
    Before = erlang:memory(processes),
    statistics(runtime),
    T0 = erlang:monotonic_time(nanosecond),
    Pids = spawn_loop(N, []),
    Secs = (erlang:monotonic_time(nanosecond) - T0) / 1.0e9,
    {_, CpuMs} = statistics(runtime),
    After = erlang:memory(processes),
    N = length(Pids),
    [exit(P, kill) || P <- Pids],
    io:format("{\"spawn_seconds\":~.6f,\"cpu_seconds\":~.3f,\"bytes_per_process\":~.1f,\"processes\":~b,\"otp\":\"~s\",\"schedulers\":~b}~n",
              [Secs, CpuMs / 1000, (After - Before) / N, N, erlang:system_info(otp_release), erlang:system_info(schedulers_online)]);
main(["send", MStr]) ->
    M = list_to_integer(MStr),
    Self = self(),
    Receiver = spawn(fun() -> count(M, Self) end),
    statistics(runtime),
    T0 = erlang:monotonic_time(nanosecond),
    send_loop(Receiver, M),
    receive done -> ok end,
    Secs = (erlang:monotonic_time(nanosecond) - T0) / 1.0e9,
    {_, CpuMs} = statistics(runtime),
    io:format("{\"send_seconds\":~.6f,\"cpu_seconds\":~.3f,\"messages\":~b,\"msgs_per_s\":~.1f,\"otp\":\"~s\",\"schedulers\":~b}~n",
              [Secs, CpuMs / 1000, M, M / Secs, erlang:system_info(otp_release), erlang:system_info(schedulers_online)]);
main(_) ->
    io:format(standard_error, "usage: erlang-node.erl spawn N | send M~n", []),
    halt(2).

spawn_loop(0, Acc) -> Acc;
spawn_loop(N, Acc) ->
    P = spawn(fun idle/0),
    spawn_loop(N - 1, [P | Acc]).

idle() ->
    receive stop -> ok end.

send_loop(_, 0) -> ok;
send_loop(P, M) ->
    P ! M,
    send_loop(P, M - 1).

count(0, Parent) -> Parent ! done;
count(M, Parent) ->
    receive _ -> count(M - 1, Parent) end.
