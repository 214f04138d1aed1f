-- cmake.lua - the generated project's CMakeLists.txt.
local lib = import("c/lib")

function render(t)
  local langs = t.bin and "C ASM" or "C"
  local s = {lib.provenance(t, "#")}
  s[#s + 1] = ([[
# Options:
#   CHAI_IMAGE_INPUT  accept JPEG/PNG/PGM images (libjpeg, libpng, zlib); ON
#                     natively when the libraries are found, OFF when cross
#                     compiling (then the program takes .npy tensors only)
#   CHAI_NATIVE       add -march=native (OFF)
#   CHAI_STRICT_FP    the same float roundings on every target: no FMA
#                     contraction on ARM either (OFF; ON in fixed-point
#                     programs for AArch64, where FMA changed the bytes of
#                     their float Softmax)
# Floating-point contraction (FMA) is off on x86, so x86 builds compute the
# reference roundings.  On ARM (unless CHAI_STRICT_FP) the float kernels
# use the NEON multiply-accumulate: FMLA on AArch64 (-ffp-contract=fast),
# VMLA.F32 on ARMv7 NEON (which flushes denormals to zero, so GCC uses it
# only under -funsafe-math-optimizations; reassociation and reciprocals
# stay off).  ARM float outputs then differ from x86 in the last bits.
# Cross compiling: cmake -DCMAKE_TOOLCHAIN_FILE=cmake/aarch64-linux-gnu.cmake
# (Zynq UltraScale+, Cortex-A53) or cmake/arm-linux-gnueabihf.cmake
# (Zynq-7000, Cortex-A9 with NEON).
cmake_minimum_required(VERSION 3.16)
project(%s LANGUAGES %s)

if(NOT CMAKE_BUILD_TYPE)
  set(CMAKE_BUILD_TYPE Release) # CMake's Release flags: -O3 -DNDEBUG
endif()
set(CMAKE_C_STANDARD 11)
set(CMAKE_C_STANDARD_REQUIRED ON)

if(CMAKE_CROSSCOMPILING)
  option(CHAI_IMAGE_INPUT "accept images (libjpeg, libpng, zlib)" OFF)
else()
  option(CHAI_IMAGE_INPUT "accept images (libjpeg, libpng, zlib)" ON)
endif()
option(CHAI_NATIVE "compile with -march=native" OFF)
if(CMAKE_SYSTEM_PROCESSOR MATCHES "^aarch64")
  option(CHAI_STRICT_FP "the same float roundings on every target (no FMA on ARM)" %s)
else()
  option(CHAI_STRICT_FP "the same float roundings on every target (no FMA on ARM)" OFF)
endif()
# the worker pool of --threads (runtime/rt_par.c)
set(THREADS_PREFER_PTHREAD_FLAG ON)
find_package(Threads REQUIRED)
if(CHAI_IMAGE_INPUT)
  find_package(JPEG)
  find_package(PNG)
  find_package(ZLIB)
  if(NOT (JPEG_FOUND AND PNG_FOUND AND ZLIB_FOUND))
    message(STATUS "libjpeg/libpng/zlib not found: .npy input only")
    set(CHAI_IMAGE_INPUT OFF)
  endif()
endif()

file(GLOB_RECURSE RT_SRC ${CMAKE_CURRENT_SOURCE_DIR}/runtime/*.c)
if(NOT CHAI_IMAGE_INPUT)
  list(FILTER RT_SRC EXCLUDE REGEX "/rt_(image|idx)\\.c$")
endif()
list(SORT RT_SRC)
# LRN's square roots vectorize only without errno (runtime/rt_lrn.c)
set_source_files_properties(${CMAKE_CURRENT_SOURCE_DIR}/runtime/rt_lrn.c PROPERTIES COMPILE_OPTIONS -fno-math-errno)
]]):format(t.base, langs, t.fx and "ON" or "OFF")
  local extra = ""
  for _, p in ipairs(t.plugins or {}) do extra = extra .. " " .. p end
  if t.bin then
    s[#s + 1] = ([[
set_source_files_properties(%s_weights.S PROPERTIES
  COMPILE_OPTIONS "-Wa,-I${CMAKE_CURRENT_SOURCE_DIR}"
  OBJECT_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/%s_weights.bin)
add_executable(%s main.c %s.c %s_weights.S%s ${RT_SRC})
]]):format(t.base, t.base, t.base, t.base, t.base, extra)
  else
    s[#s + 1] = ("add_executable(%s main.c %s.c%s ${RT_SRC})\n"):format(t.base, t.base, extra)
  end
  s[#s + 1] = ([[
target_include_directories(%s PRIVATE ${CMAKE_CURRENT_SOURCE_DIR} ${CMAKE_CURRENT_SOURCE_DIR}/runtime)
target_compile_definitions(%s PRIVATE %s_PROFILE _DEFAULT_SOURCE)
if(CHAI_STRICT_FP)
  target_compile_definitions(%s PRIVATE CHAI_STRICT_FP)
endif()
if(CHAI_STRICT_FP OR NOT CMAKE_SYSTEM_PROCESSOR MATCHES "^(aarch64|arm)")
  target_compile_options(%s PRIVATE $<$<COMPILE_LANGUAGE:C>:-ffp-contract=off>)
elseif(CMAKE_SYSTEM_PROCESSOR MATCHES "^aarch64")
  target_compile_options(%s PRIVATE $<$<COMPILE_LANGUAGE:C>:-ffp-contract=fast>)
else()
  target_compile_options(%s PRIVATE "$<$<COMPILE_LANGUAGE:C>:-ffp-contract=fast;-funsafe-math-optimizations;-fno-associative-math;-fno-reciprocal-math>")
endif()
if(CHAI_NATIVE)
  target_compile_options(%s PRIVATE $<$<COMPILE_LANGUAGE:C>:-march=native>)
endif()
if(CHAI_IMAGE_INPUT)
  target_compile_definitions(%s PRIVATE CHAI_IMAGE_INPUT=1)
  target_link_libraries(%s PRIVATE JPEG::JPEG PNG::PNG ZLIB::ZLIB)
endif()
target_link_libraries(%s PRIVATE Threads::Threads m)
]]):format(t.base, t.base, t.PREFIX, t.base, t.base, t.base, t.base, t.base, t.base, t.base, t.base)
  return table.concat(s)
end
