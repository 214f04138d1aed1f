-- conv.lua - Convolution and Deconvolution (gather form) in fixed point:
-- one accumulator per output channel for each output pixel, the MAC loop
-- tiled by IP input and OP output channels (the analogue of CHaiDNN's
-- XI_PIX_PROC / XI_KER_PROC), then the per-channel output stage.
--
-- Per output pixel and tap, the fill loop copies the C input codes of the
-- tap from the m_axi feature map into xb[G*NICT][IP] (one read per
-- cycle); the pipelined MAC loop then reads IP of them from xb's IP
-- register/LUTRAM banks, one IP x OP word of the weight ROM
-- w[taps*G*NOCT*NICT*IP*OP] (reshaped cyclic by IP*OP: one word) and
-- updates acc[G*NOCT][OP] (OP banks).  With AXI weights the MAC loop reads
-- IP x OP weights from the wts port ([ky][kx][g][icl][ocl]) per iteration.
-- The PIPELINE IIs are chaicc's proven IIs (docs/hls.md, tests/hls_ii.py).
-- Integer addition is exact, so any loop order gives the reference sums.
local lib = import("hls/lib")

function render(t)
  local F = t.fn
  local s = {lib.header(t)}
  if t.rom then
    s[#s + 1] = lib.rom(t.wtype, t.w, t.D * t.IP * t.OP, t.wbody)
  end
  if t.bias ~= "" then
    s[#s + 1] = lib.rom(t.at, t.bias, t.NT * t.OP, t.bbody)
  end
  s[#s + 1] = lib.rom("int32_t", F .. "_M", t.OC, t.Mbody)
  s[#s + 1] = lib.rom("int8_t", F .. "_sh", t.OC, t.shbody)
  if t.relu == 2 then
    s[#s + 1] = lib.rom("int32_t", F .. "_Mn", t.OC, t.Mnbody)
    s[#s + 1] = lib.rom("int8_t", F .. "_shn", t.OC, t.shnbody)
  end
  s[#s + 1] = lib.signature(t) .. " {\n"
  s[#s + 1] = ("  %s acc[%d][%d];\n"):format(t.at, t.NT, t.OP)
  s[#s + 1] = lib.pragma("", "ARRAY_PARTITION variable=acc complete dim=2")
  s[#s + 1] = ("  %s xb[%d][%d];\n"):format(t.xt[1], t.NX, t.IP)
  s[#s + 1] = lib.pragma("", "ARRAY_PARTITION variable=xb complete dim=2")
  if t.rom and t.IP * t.OP > 1 then
    s[#s + 1] = lib.pragma("", ("ARRAY_RESHAPE variable=%s cyclic factor=%d dim=1"):format(t.w, t.IP * t.OP))
  end
  if t.bias ~= "" and t.OP > 1 then
    s[#s + 1] = lib.pragma("", ("ARRAY_RESHAPE variable=%s cyclic factor=%d dim=1"):format(t.bias, t.OP))
  end
  -- the same partitioning for the access count (chai_fx.h)
  s[#s + 1] = ("CHAI_ARRAY2(acc, %d, CHAI_NONE, 0, %d, CHAI_COMPLETE, 0)\n"):format(t.NT, t.OP)
  s[#s + 1] = ("CHAI_ARRAY2(xb, %d, CHAI_NONE, 0, %d, CHAI_COMPLETE, 0)\n"):format(t.NX, t.IP)
  if t.rom then
    s[#s + 1] = ("CHAI_ARRAY1(%s, %d, %s, %d)\n"):format(t.w, t.D * t.IP * t.OP,
        t.IP * t.OP > 1 and "CHAI_R_CYCLIC" or "CHAI_NONE", t.IP * t.OP)
  end
  if t.bias ~= "" then
    s[#s + 1] = ("CHAI_ARRAY1(%s, %d, %s, %d)\n"):format(t.bias, t.NT * t.OP, t.OP > 1 and "CHAI_R_CYCLIC" or "CHAI_NONE", t.OP)
  end
  local roms = {"_M", "_sh"}
  if t.relu == 2 then roms = {"_M", "_sh", "_Mn", "_shn"} end
  for _, r in ipairs(roms) do
    s[#s + 1] = ("CHAI_ARRAY1(%s%s, %d, CHAI_NONE, 0)\n"):format(F, r, t.OC)
  end
  s[#s + 1] = ("%s_n: for (int n = 0; n < %d; n++) {\n"):format(F, t.N)
  s[#s + 1] = ("  %s_oy: for (int oy = 0; oy < %d; oy++) {\n"):format(F, t.OH)
  s[#s + 1] = ("    %s_ox: for (int ox = 0; ox < %d; ox++) {\n"):format(F, t.OW)
  s[#s + 1] = ("      %s_init: for (int t = 0; t < %d; t++) {\n"):format(F, t.NT)
  s[#s + 1] = lib.pipeline("", "        ", F .. "_init", 1)
  s[#s + 1] = ("        %s_init_op: for (int op = 0; op < %d; op++) %s = %s;\n      }\n"):format(
      F, t.OP, lib.acc("W", "acc", "[t][op]"), t.bias ~= "" and lib.acc("R", t.bias, ("[t * %d + op]"):format(t.OP)) or "0")
  s[#s + 1] = ("      %s_ky: for (int ky = 0; ky < %d; ky++) {\n"):format(F, t.KH)
  s[#s + 1] = ("        %s_kx: for (int kx = 0; kx < %d; kx++) {\n"):format(F, t.KW)
  if t.deconv then
    s[#s + 1] = ([[
          const int ty = oy + %d - ky * %d, tx = ox + %d - kx * %d;
          if (ty < 0 || tx < 0 || ty %% %d != 0 || tx %% %d != 0) continue;
          const int iy = ty / %d, ix = tx / %d;
          if (iy >= %d || ix >= %d) continue;
]]):format(t.PH, t.DH, t.PW, t.DW, t.SH, t.SW, t.SH, t.SW, t.H, t.W)
  else
    s[#s + 1] = ([[
          const int iy = oy * %d - %d + ky * %d, ix = ox * %d - %d + kx * %d;
          if (iy < 0 || iy >= %d || ix < 0 || ix >= %d) continue;
]]):format(t.SH, t.PH, t.DH, t.SW, t.PW, t.DW, t.H, t.W)
  end
  s[#s + 1] = ("          %s_fill: for (int c = 0; c < %d; c++) {\n"):format(F, t.C)
  s[#s + 1] = lib.pipeline("", "            ", F .. "_fill", 1)
  s[#s + 1] = ([[
            const int icl = c %% %d;
            CHAI_W(xb, [(c / %d) * %d + icl / %d][icl %% %d]) = CHAI_MR(x0, [((n * %d + c) * %d + iy) * %d + ix]);
          }
]]):format(t.ICG, t.ICG, t.NICT, t.IP, t.IP, t.C, t.H, t.W)
  s[#s + 1] = ("          %s_g: for (int g = 0; g < %d; g++) {\n"):format(F, t.G)
  s[#s + 1] = ("            %s_oct: for (int oct = 0; oct < %d; oct++) {\n"):format(F, t.NOCT)
  s[#s + 1] = ("              %s_ict: for (int ict = 0; ict < %d; ict++) {\n"):format(F, t.NICT)
  s[#s + 1] = lib.pipeline("", "                ", F .. "_ict", t.II)
  s[#s + 1] = ("                %s_ip: for (int ip = 0; ip < %d; ip++) {\n"):format(F, t.IP)
  s[#s + 1] = ("                  %s_op: for (int op = 0; op < %d; op++) {\n"):format(F, t.OP)
  s[#s + 1] = ([[
                    const int icl = ict * %d + ip, ocl = oct * %d + op;
]]):format(t.IP, t.OP)
  local wv
  if t.rom then
    wv = lib.acc("R", t.w, ("[((((ky * %d + kx) * %d + g) * %d + oct) * %d + ict) * %d + ip * %d + op]"):format(
        t.KW, t.G, t.NOCT, t.NICT, t.IP * t.OP, t.OP))
  else
    wv = lib.acc("MR", ("(wts + %d)"):format(t.woff), ("[(((ky * %d + kx) * %d + g) * %d + icl) * %d + ocl]"):format(
        t.KW, t.G, t.ICG, t.OCG))
  end
  local mac = ("%s += (int32_t)%s *\n                        %s;"):format(
      lib.acc("RW", "acc", ("[g * %d + oct][op]"):format(t.NOCT)), lib.acc("R", "xb", ("[g * %d + ict][ip]"):format(t.NICT)), wv)
  if t.exact then
    s[#s + 1] = "                    (void)icl, (void)ocl;\n"
    s[#s + 1] = "                    " .. mac .. "\n"
  else
    s[#s + 1] = ("                    if (icl < %d && ocl < %d)\n                      %s\n"):format(t.ICG, t.OCG, mac)
  end
  s[#s + 1] = "                  }\n                }\n              }\n            }\n          }\n        }\n      }\n"
  s[#s + 1] = ("      %s_out: for (int o = 0; o < %d; o++) {\n"):format(F, t.OC)
  s[#s + 1] = lib.pipeline("", "        ", F .. "_out", 1)
  s[#s + 1] = ("        const int ocl = o %% %d;\n"):format(t.OCG)
  s[#s + 1] = ("        const %s a = %s;\n"):format(t.at, lib.acc("R", "acc", ("[(o / %d) * %d + ocl / %d][ocl %% %d]"):format(t.OCG, t.NOCT, t.OP, t.OP)))
  local pos = lib.req(t, "a", lib.acc("R", F .. "_M", "[o]"), lib.acc("R", F .. "_sh", "[o]"))
  local v
  if t.relu == 0 then v = pos
  elseif t.relu == 1 then v = "a < 0 ? 0 : " .. pos
  else v = "a < 0 ? " .. lib.req(t, "a", lib.acc("R", F .. "_Mn", "[o]"), lib.acc("R", F .. "_shn", "[o]")) .. " : " .. pos end
  s[#s + 1] = ("        %s = (%s)(%s);\n"):format(lib.acc("MW", "y0", ("[((n * %d + o) * %d + oy) * %d + ox]"):format(t.OC, t.OH, t.OW)), t.yt[1], v)
  s[#s + 1] = "      }\n    }\n  }\n}\n}\n"
  return table.concat(s)
end
