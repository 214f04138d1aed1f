# hls_fixture.tcl - stand-ins for the Vivado HLS commands, to run a
# generated run_hls.tcl under plain tclsh:
#   tclsh tests/hls_fixture.tcl OUTDIR/hls/run_hls.tcl [STEPS]
# Every command checks what Vivado would need: add_files names an existing
# file, set_top's function is defined in a non-testbench source added to
# the project, each step runs inside an open solution with a part and a
# clock.  Prints one line per project and "fixture: ok N projects" or the
# first problem, exiting 1 on a problem.
set ::fx_err ""
set ::fx_projects 0
set ::fx_steps {}
proc fx_fail {msg} {
  if {$::fx_err eq ""} { set ::fx_err $msg }
}
proc open_project {args} {
  set ::fx_proj [lindex $args end]
  set ::fx_top ""
  set ::fx_src {}
  set ::fx_tb {}
  set ::fx_sol 0
  set ::fx_part ""
  set ::fx_clock ""
  incr ::fx_projects
}
proc set_top {name} { set ::fx_top $name }
proc add_files {args} {
  set tb 0
  set files {}
  for {set i 0} {$i < [llength $args]} {incr i} {
    set a [lindex $args $i]
    if {$a eq "-tb"} { set tb 1 } elseif {$a eq "-cflags" || $a eq "-csimflags"} { incr i } else { lappend files $a }
  }
  foreach f $files {
    if {![file exists $f]} { fx_fail "add_files: $f does not exist" }
    if {$tb} { lappend ::fx_tb $f } else { lappend ::fx_src $f }
  }
}
proc open_solution {args} { set ::fx_sol 1 }
proc set_part {p} { set ::fx_part $p }
proc create_clock {args} {
  set i [lsearch -exact $args -period]
  if {$i < 0 || ![string is double -strict [lindex $args [expr {$i + 1}]]]} { fx_fail "create_clock without a numeric -period" }
  set ::fx_clock [lindex $args [expr {$i + 1}]]
}
proc config_interface {args} {}
proc set_directive_inline {args} {
  set fn [lindex $args end]
  set found 0
  foreach f $::fx_src {
    set fd [open $f]
    set text [read $fd]
    close $fd
    if {[regexp "\\m$fn\\s*\\(" $text]} { set found 1 }
  }
  if {!$found} { fx_fail "set_directive_inline: no function $fn in the sources of $::fx_proj" }
}
proc fx_step {name} {
  if {!$::fx_sol} { fx_fail "$name outside a solution" }
  if {$::fx_part eq "" || $::fx_clock eq ""} { fx_fail "$name before set_part / create_clock" }
  if {$::fx_top eq ""} { fx_fail "$name without set_top" }
  set found 0
  foreach f $::fx_src {
    if {![string match *.c $f]} continue
    set fd [open $f]
    set text [read $fd]
    close $fd
    if {[regexp "(^|\n)void\\s+$::fx_top\\s*\\(\[^;\]*\\)\\s*\[\{\]" $text]} { set found 1 }
  }
  if {!$found} { fx_fail "$name: top function $::fx_top is not defined in [join $::fx_src {, }]" }
  if {[llength $::fx_tb] == 0 && $name ne "csynth_design" && $name ne "export_design"} { fx_fail "$name: no testbench added" }
  lappend ::fx_steps $name
}
proc csim_design {args} { fx_step csim_design }
proc csynth_design {args} { fx_step csynth_design }
proc cosim_design {args} { fx_step cosim_design }
proc export_design {args} { fx_step export_design }
proc close_project {args} {
  puts "fixture: project $::fx_proj top $::fx_top: [llength $::fx_src] sources, [llength $::fx_tb] testbench files, part $::fx_part, clock $::fx_clock"
}
rename exit fx_real_exit
proc exit {{code 0}} {
  if {$::fx_err ne ""} {
    puts "fixture: FAIL: $::fx_err"
    fx_real_exit 1
  }
  if {$::fx_projects == 0 && !([info exists ::SEGMENTS] && [llength $::SEGMENTS] == 0)} {
    puts "fixture: FAIL: no project opened"
    fx_real_exit 1
  }
  puts "fixture: ok $::fx_projects projects, steps: [lsort -unique $::fx_steps]"
  fx_real_exit $code
}
if {[llength $argv] < 1} {
  puts "usage: tclsh hls_fixture.tcl run_hls.tcl \[STEPS\]"
  fx_real_exit 2
}
if {[llength $argv] > 1} { set STEPS [lindex $argv 1] }
source [lindex $argv 0]
exit
