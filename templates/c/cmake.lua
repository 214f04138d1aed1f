-- cmake.lua - the generated project's CMakeLists.txt.
local lib = import("c/lib")

function render(t)
  local langs = t.bin and "C ASM" or "C"
  local s = {lib.provenance(t, "#")}
  s[#s + 1] = ([[
cmake_minimum_required(VERSION 3.16)
project(%s LANGUAGES %s)

if(NOT CMAKE_BUILD_TYPE)
  set(CMAKE_BUILD_TYPE Release)
  set(CMAKE_C_FLAGS_RELEASE "-O2")
endif()
set(CMAKE_C_STANDARD 11)
set(CMAKE_C_STANDARD_REQUIRED ON)

find_package(JPEG REQUIRED)
find_package(PNG REQUIRED)

file(GLOB RT_SRC ${CMAKE_CURRENT_SOURCE_DIR}/runtime/*.c)
list(SORT RT_SRC)
]]):format(t.base, langs)
  if t.bin then
    s[#s + 1] = ([[
set_source_files_properties(%s_weights.S PROPERTIES
  COMPILE_OPTIONS "-Wa,-I${CMAKE_CURRENT_SOURCE_DIR}"
  OBJECT_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/%s_weights.bin)
add_executable(%s main.c %s.c %s_weights.S ${RT_SRC})
]]):format(t.base, t.base, t.base, t.base, t.base)
  else
    s[#s + 1] = ("add_executable(%s main.c %s.c ${RT_SRC})\n"):format(t.base, t.base)
  end
  s[#s + 1] = ([[
target_include_directories(%s PRIVATE ${CMAKE_CURRENT_SOURCE_DIR} ${CMAKE_CURRENT_SOURCE_DIR}/runtime)
target_compile_definitions(%s PRIVATE %s_PROFILE _DEFAULT_SOURCE)
target_link_libraries(%s PRIVATE JPEG::JPEG PNG::PNG m)
]]):format(t.base, t.base, t.PREFIX, t.base)
  return table.concat(s)
end
