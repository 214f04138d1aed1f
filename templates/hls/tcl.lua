-- tcl.lua - run_hls.tcl: one Vivado HLS project per hardware segment.
-- Steps are chosen by the variable STEPS (or the environment variable
-- CHAI_HLS_STEPS): any of csim csynth cosim export.
local clib = import("c/lib")

function render(t)
  local s = {clib.provenance(t, "#")}
  s[#s + 1] = ([==[
# Usage: vivado_hls -f run_hls.tcl      (or vitis_hls -f run_hls.tcl)
#        CHAI_HLS_STEPS="csim csynth" vivado_hls -f run_hls.tcl
set HERE [file dirname [file normalize [info script]]]
if {![info exists STEPS]} {
  if {[info exists ::env(CHAI_HLS_STEPS)]} {
    set STEPS $::env(CHAI_HLS_STEPS)
  } else {
    set STEPS {csim csynth cosim export}
  }
}
set PART "%s"
set CLOCK_NS %s
set CFLAGS "-I$HERE"
# {top source testbench}
set SEGMENTS {
]==]):format(t.part, t.clock)
  for _, g in ipairs(t.segs) do
    s[#s + 1] = ("  {%s %s %s}\n"):format(g.top, g.src, g.tb)
  end
  s[#s + 1] = "}\n"
  s[#s + 1] = ([==[
set WEIGHTS "%s"

foreach seg $SEGMENTS {
  set top [lindex $seg 0]
  set src [lindex $seg 1]
  set tb [lindex $seg 2]
  open_project -reset proj_$top
  set_top $top
  add_files $HERE/$src -cflags $CFLAGS
  add_files $HERE/chai_fx.h
  add_files $HERE/%s_hw.h
  add_files -tb $HERE/$tb -cflags $CFLAGS
  if {$WEIGHTS ne ""} { add_files -tb $HERE/$WEIGHTS }
  open_solution -reset solution1
  set_part $PART
  create_clock -period $CLOCK_NS -name default
  source $HERE/directives.tcl
  if {[lsearch -exact $STEPS csim] >= 0} { csim_design -argv $WEIGHTS }
  if {[lsearch -exact $STEPS csynth] >= 0} { csynth_design }
  if {[lsearch -exact $STEPS cosim] >= 0} { cosim_design -argv $WEIGHTS }
  if {[lsearch -exact $STEPS export] >= 0} { export_design -format ip_catalog }
  close_project
}
exit
]==]):format(t.wfile, t.base)
  return table.concat(s)
end
