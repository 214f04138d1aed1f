-- conv.lua - Convolution and Deconvolution (gather form) in fixed point:
-- one accumulator per output channel for each output pixel, the MAC loop
-- tiled by IP input and OP output channels (the analogue of CHaiDNN's
-- XI_PIX_PROC / XI_KER_PROC), then the per-channel output stage.
-- Weights are laid out [ky][kx][g][icl][ocl] (emit_fx.c reorders the
-- prepared codes), so one pipelined iteration reads IP x OP of them.
-- Integer addition is exact, so any loop order gives the reference sums.
local lib = import("hls/lib")

function render(t)
  local F = t.fn
  local s = {lib.header(t)}
  if t.rom then s[#s + 1] = lib.rom(t.wtype, t.w, t.nw, t.wbody) end
  if t.bias ~= "" then s[#s + 1] = lib.rom(t.at, t.bias, t.OC, t.bbody) end
  s[#s + 1] = lib.rom("int32_t", F .. "_M", t.OC, t.Mbody)
  s[#s + 1] = lib.rom("int8_t", F .. "_sh", t.OC, t.shbody)
  if t.relu == 2 then
    s[#s + 1] = lib.rom("int32_t", F .. "_Mn", t.OC, t.Mnbody)
    s[#s + 1] = lib.rom("int8_t", F .. "_shn", t.OC, t.shnbody)
  end
  local wexpr = t.rom and t.w or ("(wts + " .. t.woff .. ")")
  s[#s + 1] = lib.signature(t) .. " {\n"
  s[#s + 1] = ("  %s acc[%d];\n"):format(t.at, t.OC)
  s[#s + 1] = lib.pragma("", ("ARRAY_PARTITION variable=acc cyclic factor=%d"):format(t.OP))
  s[#s + 1] = ("%s_n: for (int n = 0; n < %d; n++) {\n"):format(F, t.N)
  s[#s + 1] = ("  %s_oy: for (int oy = 0; oy < %d; oy++) {\n"):format(F, t.OH)
  s[#s + 1] = ("    %s_ox: for (int ox = 0; ox < %d; ox++) {\n"):format(F, t.OW)
  s[#s + 1] = ("      %s_init: for (int o = 0; o < %d; o++) {\n"):format(F, t.OC)
  s[#s + 1] = lib.pragma("", ("PIPELINE II=1"))
  s[#s + 1] = lib.pragma("", ("UNROLL factor=%d"):format(t.OP))
  s[#s + 1] = ("        acc[o] = %s;\n      }\n"):format(t.bias ~= "" and (t.bias .. "[o]") or "0")
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
  s[#s + 1] = ("          %s_g: for (int g = 0; g < %d; g++) {\n"):format(F, t.G)
  s[#s + 1] = ("            %s_oct: for (int oct = 0; oct < %d; oct++) {\n"):format(F, t.NOCT)
  s[#s + 1] = ("              %s_ict: for (int ict = 0; ict < %d; ict++) {\n"):format(F, t.NICT)
  s[#s + 1] = lib.pragma("", ("PIPELINE II=%d"):format(t.II))
  s[#s + 1] = ("                %s_ip: for (int ip = 0; ip < %d; ip++) {\n"):format(F, t.IP)
  s[#s + 1] = ("                  %s_op: for (int op = 0; op < %d; op++) {\n"):format(F, t.OP)
  s[#s + 1] = ([[
                    const int icl = ict * %d + ip, ocl = oct * %d + op;
]]):format(t.IP, t.OP)
  local mac = ([[acc[g * %d + ocl] += (int32_t)x0[((n * %d + g * %d + icl) * %d + iy) * %d + ix] *
                        %s[(((ky * %d + kx) * %d + g) * %d + icl) * %d + ocl];]]):format(
      t.OCG, t.C, t.ICG, t.H, t.W, wexpr, t.KW, t.G, t.ICG, t.OCG)
  if t.exact then
    s[#s + 1] = "                    " .. mac .. "\n"
  else
    s[#s + 1] = ("                    if (icl < %d && ocl < %d)\n                      %s\n"):format(t.ICG, t.OCG, mac)
  end
  s[#s + 1] = "                  }\n                }\n              }\n            }\n          }\n        }\n      }\n"
  s[#s + 1] = ("      %s_out: for (int o = 0; o < %d; o++) {\n"):format(F, t.OC)
  s[#s + 1] = lib.pragma("", "PIPELINE II=1")
  s[#s + 1] = lib.pragma("", ("UNROLL factor=%d"):format(t.OP))
  local pos = lib.req(t, "acc[o]", F .. "_M[o]", F .. "_sh[o]")
  local v
  if t.relu == 0 then v = pos
  elseif t.relu == 1 then v = "acc[o] < 0 ? 0 : " .. pos
  else v = "acc[o] < 0 ? " .. lib.req(t, "acc[o]", F .. "_Mn[o]", F .. "_shn[o]") .. " : " .. pos end
  s[#s + 1] = ("        y0[((n * %d + o) * %d + oy) * %d + ox] = (%s)(%s);\n"):format(t.OC, t.OH, t.OW, t.yt[1], v)
  s[#s + 1] = "      }\n    }\n  }\n}\n}\n"
  return table.concat(s)
end
