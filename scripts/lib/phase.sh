# Sourced by the setup and test scripts: `phase NAME command...` runs the command and, when
# RIPCORD_PHASES_FILE is set (scripts/test.sh sets it), appends "NAME<TAB>seconds<TAB>exit" to that file, so
# .ci/run can end with a table of where its time went. The command's exit status is returned unchanged.
phase() {
  local name=$1 t0 rc=0 us
  shift
  t0=${EPOCHREALTIME/./}
  "$@" || rc=$?
  if [ -n "${RIPCORD_PHASES_FILE:-}" ]; then
    us=$((${EPOCHREALTIME/./} - t0))
    printf '%s\t%d.%d\t%d\n' "$name" $((us / 1000000)) $((us / 100000 % 10)) "$rc" >>"$RIPCORD_PHASES_FILE"
  fi
  return "$rc"
}
