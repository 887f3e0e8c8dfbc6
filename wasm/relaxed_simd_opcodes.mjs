// Renumbers the relaxed-SIMD FMA of the fma variant to the opcode that engines run.
// LLVM 14 (Debian's emscripten 3.1.6) emits f64x2 relaxed madd with the proposal's early opcode
// (0xfd 0xcf 0x01, printed "f64x2.fma"); the standardized one is f64x2.relaxed_madd, 0xfd 0x87 0x02,
// with the same operands and meaning (a * b + c). Both LEB128 encodings are 2 bytes long, so each
// instruction is rewritten in place and no offset in the module moves.
// The instructions are located by LLVM's own disassembler (llvm-objdump-14, which ships with
// emscripten's llvm-14 dependency), never by a byte search: the byte pattern may also occur inside
// immediates. Any other relaxed-SIMD instruction, or one the disassembler does not know, stops the
// build, since the engine would reject the module or run a different instruction.
// Idempotent: instructions already renumbered are counted and left as they are.
// usage: node wasm/relaxed_simd_opcodes.mjs MODULE.wasm
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';

const OLD = [0xfd, 0xcf, 0x01];
const NEW = [0xfd, 0x87, 0x02];
// LLVM 14's names of the relaxed-SIMD proposal's instructions (WebAssemblyInstrSIMD.td).
const RELAXED = /^(f32x4|f64x2)\.(fma|fms)$|laneselect|relaxed_|^f32x4\.(min|max)$/;

function leb(bytes, pos) {
  let value = 0, shift = 0, b;
  do {
    b = bytes[pos++];
    value += (b & 0x7f) * 2 ** shift;
    shift += 7;
  } while (b & 0x80);
  return [value, pos];
}

// The file offset of the code section's payload: llvm-objdump prints addresses relative to it.
function codePayload(bytes) {
  let pos = 8;
  while (pos < bytes.length) {
    const id = bytes[pos];
    const [size, start] = leb(bytes, pos + 1);
    if (id === 10) return start;
    pos = start + size;
  }
  throw new Error('no code section');
}

const file = process.argv[2];
if (!file) throw new Error('usage: node relaxed_simd_opcodes.mjs MODULE.wasm');
const bytes = readFileSync(file);
const base = codePayload(bytes);
const listing = execFileSync('llvm-objdump-14', ['-d', file], {
  maxBuffer: 1 << 30,
  encoding: 'utf8',
});
let patched = 0, already = 0;
for (const line of listing.split('\n')) {
  const m = /^\s*([0-9a-f]+):\s+((?:[0-9a-f]{2} )+)\s*(\S+)/.exec(line);
  if (!m) continue;
  const [, addr, raw, op] = m;
  const at = base + parseInt(addr, 16);
  const code = raw.trim().split(' ').map(h => parseInt(h, 16));
  const is = seq => code.length === 3 && seq.every((b, i) => code[i] === b && bytes[at + i] === b);
  if (op === 'f64x2.fma' && is(OLD)) {
    NEW.forEach((b, i) => (bytes[at + i] = b));
    ++patched;
  } else if (op === '<unknown>' && is(NEW)) {
    ++already;
  } else if (op === '<unknown>' || RELAXED.test(op)) {
    throw new Error(`${file}: instruction ${op} (${raw.trim()}) at code offset 0x${addr} is not f64x2 relaxed madd`);
  }
}
if (patched + already === 0) throw new Error(`${file}: no f64x2 relaxed madd found (was it built with -mrelaxed-simd?)`);
writeFileSync(file, bytes);
console.log(`${file}: ${patched} f64x2.relaxed_madd renumbered (${already} already were)`);
