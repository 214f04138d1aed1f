-- incbin.lua - <net>_weights.S: links the weights file into the program.
local lib = import("c/lib")

function render(t)
  return lib.provenance(t, "c") .. ([[
	.section .rodata
	.balign 64
	.globl %s
	.type %s, %%object
%s:
	.incbin "%s"
	.size %s, . - %s
	.section .note.GNU-stack, "", %%progbits
]]):format(t.blob, t.blob, t.blob, t.file, t.blob, t.blob)
end
