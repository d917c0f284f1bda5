# Shared by gui-smoke and deb-smoke (sourced): a private X server and a bounded wait for the
# Wixup window. The caller defines `fail`, `$work` and the `pids` array (killed on exit).

# Bounded wait: wait_for SECONDS DESCRIPTION COMMAND...
wait_for() {
  local secs=$1 what=$2; shift 2
  for _ in $(seq $((secs * 10))); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
  fail "timed out after ${secs}s waiting for $what"
}

# Starts Xvfb on a free display (-displayfd writes its number to fd 3) and exports DISPLAY.
# -noreset: without it the server regenerates whenever its last client disconnects (xdpyinfo,
# each xdotool call), and a client that connects during that window is refused.
start_xvfb() {
  Xvfb -displayfd 3 -screen 0 1280x800x24 -nolisten tcp -noreset \
    3>"$work/display" >"$work/xvfb.log" 2>&1 &
  xvfb_pid=$!
  pids+=("$xvfb_pid")
  wait_for 10 "Xvfb to pick a display" test -s "$work/display"
  export DISPLAY=":$(cat "$work/display")"
  wait_for 10 "Xvfb to answer on $DISPLAY" xdpyinfo
}

# What to look at when the window does not come: is the X server alive, does it answer.
x_report() {
  if kill -0 "$xvfb_pid" 2>/dev/null; then
    echo "Xvfb (pid $xvfb_pid) is running on $DISPLAY" >&2
  else
    echo "Xvfb (pid $xvfb_pid) is gone" >&2
  fi
  xdpyinfo >/dev/null 2>&1 && echo "xdpyinfo answers on $DISPLAY" >&2 || echo "xdpyinfo fails on $DISPLAY" >&2
  ls -la /tmp/.X11-unix >&2 2>/dev/null || true
  tail -20 "$work/xvfb.log" >&2 2>/dev/null || true
}

# launch_window LOG COMMAND...: starts the app in the background, with its output in LOG, and
# waits (at most 30 s) for its visible "Wixup" window; sets $app and $wid. Stops waiting as soon
# as the app exits. An app refused by the X server while the server answers others is started
# once more, saying so; any other exit fails at once with its log.
launch_window() {
  local log=$1; shift
  for attempt in 1 2; do
    "$@" >"$log" 2>&1 &
    app=$!
    pids+=("$app")
    for _ in $(seq 300); do
      wid=$(xdotool search --onlyvisible --name '^Wixup$' 2>/dev/null | head -1) || true
      [ -n "$wid" ] && return 0
      kill -0 "$app" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$app" 2>/dev/null; then
      x_report
      fail "timed out after 30s waiting for the Wixup window"
    fi
    if [ "$attempt" = 1 ] && grep -q "open connection to X server" "$log" && xdpyinfo >/dev/null 2>&1; then
      echo "the app could not connect to $DISPLAY, which answers xdpyinfo; starting it once more:" >&2
      x_report
      cat "$log" >&2
      continue
    fi
    x_report
    fail "the app exited before its window appeared"
  done
}
