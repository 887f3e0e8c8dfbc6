// ggml dequantization: every type of the shared all-types file (dense_2 stored 13 times, quantized by
// ggml's reference quantizers) against the sha256 of the float32 values gguf-py and ggml computed,
// and hand-packed blocks of the 32-element and K-quant layouts against their closed forms.
#include <catch2/catch.hpp>

#include <cstring>
#include <fstream>
#include <set>

#include <nlohmann/json.hpp>

#include "formats/ggml_dequant.h"
#include "formats/ggml_types.h"
#include "formats/model_input.h"
#include "support/sha256.h"
#include "support/test_data.h"

namespace {

std::vector<uint8_t> as_bytes(const std::vector<float>& v) {
  std::vector<uint8_t> b(v.size() * 4);
  std::memcpy(b.data(), v.data(), b.size());
  return b;
}

void put_half(std::vector<uint8_t>& b, size_t at, float v) {
  const _Float16 h = static_cast<_Float16>(v);
  std::memcpy(b.data() + at, &h, 2);
}

std::vector<float> run(ws::DequantizeFn f, const std::vector<uint8_t>& block, size_t elems) {
  std::vector<float> out(elems);
  f(block.data(), 1, out.data());
  return out;
}

}  // namespace

TEST_CASE("ggml types: every dequantized type of the all-types file matches the reference bit for bit", "[gguf]") {
  std::ifstream in(ws_test::test_data("reference/nsfwjs_mobilenet_v2_dense_2_alltypes_tensors.json"));
  REQUIRE(in.good());
  const nlohmann::json ref = nlohmann::json::parse(in);
  ws::ModelInput m = ws::open_model_paths({ws_test::test_data("fixtures/gguf/nsfwjs_mobilenet_v2_dense_2_alltypes.gguf")});
  REQUIRE(m.tensors.size() == ref["tensors"].size());
  std::set<std::string> types;
  for (size_t i = 0; i < m.tensors.size(); ++i) {
    const ws::TensorInfo& t = m.tensors[i];
    const auto& r = ref["tensors"][i];
    INFO(r["gguf_name"] << " " << r["ggml_type"]);
    CHECK(t.name == r["gguf_name"]);
    CHECK(t.storage == r["ggml_type"]);
    CHECK(t.shape == std::vector<uint64_t>{128, 256});
    const std::vector<uint8_t> data = ws::read_tensor(m, t);
    std::vector<float> values(32768);
    for (size_t k = 0; k < values.size(); ++k) values[k] = ws::decode_element_f32(data.data(), t.dtype, k);
    CHECK(ws_test::sha256_hex(as_bytes(values)) == r["dequant_sha256"]);
    types.insert(t.storage);
  }
  CHECK(types == std::set<std::string>{"F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q2_K", "Q3_K",
                                       "Q4_K", "Q5_K", "Q6_K"});
}

TEST_CASE("ggml types: ids, names and block sizes", "[gguf]") {
  CHECK(ws::find_ggml_type(12)->name == std::string("Q4_K"));
  CHECK(ws::find_ggml_type(std::string("Q4_K"))->block_bytes == 144);
  CHECK(ws::find_ggml_type(30)->plain == ws::Dtype::BF16);
  CHECK(ws::find_ggml_type(34)->dequantize == nullptr);  // TQ1_0
  CHECK(ws::find_ggml_type(4) == nullptr);
  CHECK(ws::removed_ggml_type(4) == std::string("Q4_2"));
  CHECK(ws::find_ggml_type(43) == nullptr);
  CHECK(ws::removed_ggml_type(43) == nullptr);
  // Every block size is a whole number of bits per element that the formats document.
  for (uint32_t id = 0; id < 64; ++id)
    if (const ws::GgmlType* t = ws::find_ggml_type(id)) {
      INFO(t->name);
      CHECK(t->block_elems > 0);
      CHECK(t->block_bytes > 0);
      CHECK((t->plain.has_value() || t->block_elems >= 32));
    }
}

TEST_CASE("ggml dequant: 32-element blocks follow their closed forms", "[gguf]") {
  // Q4_0: d, 16 bytes; byte j = element j (low nibble) and j + 16 (high); x = (q - 8) d.
  std::vector<uint8_t> q4(18);
  put_half(q4, 0, 0.25f);
  for (int j = 0; j < 16; ++j) q4[2 + j] = static_cast<uint8_t>(j | ((15 - j) << 4));
  const auto a = run(ws::dequantize_q4_0, q4, 32);
  for (int j = 0; j < 16; ++j) {
    CHECK(a[j] == 0.25f * (j - 8));
    CHECK(a[j + 16] == 0.25f * (7 - j));
  }
  // Q5_1: d, m, 32 fifth bits (bit i -> element i), nibbles as Q4; x = q d + m.
  std::vector<uint8_t> q5(24);
  put_half(q5, 0, 0.5f);
  put_half(q5, 2, -3.0f);
  const uint32_t high = 0xF0A5C301u;
  std::memcpy(q5.data() + 4, &high, 4);
  for (int j = 0; j < 16; ++j) q5[8 + j] = static_cast<uint8_t>((j * 7) % 16 | (((j * 3) % 16) << 4));
  const auto b = run(ws::dequantize_q5_1, q5, 32);
  // Q5_0 on the same bytes after d (d, 32 bits, nibbles): x = (q - 16) d.
  std::vector<uint8_t> q50(22);
  put_half(q50, 0, 2.0f);
  std::memcpy(q50.data() + 2, q5.data() + 4, 20);
  const auto c = run(ws::dequantize_q5_0, q50, 32);
  for (int i = 0; i < 32; ++i) {
    const int nibble = i < 16 ? (i * 7) % 16 : ((i - 16) * 3) % 16;
    const int q = nibble | static_cast<int>(((high >> i) & 1) << 4);
    CHECK(b[i] == 0.5f * q - 3.0f);
    CHECK(c[i] == 2.0f * (q - 16));
  }
}

TEST_CASE("ggml dequant: K-quant scales and mins unpack as packed", "[gguf]") {
  // Q4_K: 8 sub-blocks of 32 with 6-bit scale s and min m each, packed into 12 bytes: sub-blocks 0-3 in
  // the low 6 bits of bytes 0-3 (s) and 4-7 (m); 4-7 with their low 4 bits in bytes 8-11 (s low nibble,
  // m high nibble) and their top 2 bits in bits 6-7 of bytes 0-3 (s) and 4-7 (m).
  const int s[8] = {1, 63, 17, 40, 5, 33, 62, 48}, mn[8] = {0, 2, 63, 31, 47, 16, 9, 60};
  std::vector<uint8_t> k4(144);
  put_half(k4, 0, 1.0f);
  put_half(k4, 2, 0.5f);
  uint8_t* sc = k4.data() + 4;
  for (int j = 0; j < 4; ++j) {
    sc[j] = static_cast<uint8_t>(s[j] | ((s[j + 4] >> 4) << 6));
    sc[j + 4] = static_cast<uint8_t>(mn[j] | ((mn[j + 4] >> 4) << 6));
    sc[j + 8] = static_cast<uint8_t>((s[j + 4] & 15) | ((mn[j + 4] & 15) << 4));
  }
  // Quants: chunk c (64 elements) = 32 bytes whose low nibbles are sub-block 2c, high nibbles 2c + 1.
  for (int i = 0; i < 128; ++i) k4[16 + i] = static_cast<uint8_t>((i % 16) | (((i / 3) % 16) << 4));
  const auto v = run(ws::dequantize_q4_k, k4, 256);
  for (int e = 0; e < 256; ++e) {
    const int chunk = e / 64, within = e % 64, sub = 2 * chunk + within / 32, l = within % 32;
    const uint8_t byte = k4[16 + 32 * chunk + l];
    const int q = within < 32 ? byte & 15 : byte >> 4;
    INFO("element " << e);
    CHECK(v[e] == static_cast<float>(s[sub]) * q - 0.5f * mn[sub]);
  }

  // Q2_K: 16 sub-blocks of 16, scale byte = 4-bit scale | 4-bit min << 4; 2-bit quants: element
  // 128 h + 32 p + 16 g + l is bit pair p of quant byte 32 h + 16 g + l, sub-block 8 h + 2 p + g.
  std::vector<uint8_t> k2(84);
  for (int i = 0; i < 16; ++i) k2[i] = static_cast<uint8_t>((i % 16) | (((15 - i) % 16) << 4));
  for (int i = 0; i < 64; ++i) k2[16 + i] = static_cast<uint8_t>(i * 37 + 11);
  put_half(k2, 80, 0.25f);
  put_half(k2, 82, 0.125f);
  const auto w = run(ws::dequantize_q2_k, k2, 256);
  for (int e = 0; e < 256; ++e) {
    const int h = e / 128, p = (e % 128) / 32, g = (e % 32) / 16, l = e % 16, sub = 8 * h + 2 * p + g;
    const int q = (k2[16 + 32 * h + 16 * g + l] >> (2 * p)) & 3;
    INFO("element " << e);
    CHECK(w[e] == 0.25f * (k2[sub] & 15) * q - 0.125f * (k2[sub] >> 4));
  }
}
