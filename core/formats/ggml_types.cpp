#include "formats/ggml_types.h"

namespace ws {
namespace {

// In id order. The IQ* types need ggml's codebook grids, TQ* are ternary, MXFP4/NVFP4 are FP4
// microscaling, Q8_1/Q8_K are ggml's intermediate dot-product types, Q1_0/Q2_0 the newest: none of
// them is decoded here, but their sizes are known, so a file holding them still parses.
const GgmlType kTypes[] = {
    {0, "F32", 1, 4, Dtype::F32},
    {1, "F16", 1, 2, Dtype::F16},
    {2, "Q4_0", 32, 18, std::nullopt, dequantize_q4_0},
    {3, "Q4_1", 32, 20, std::nullopt, dequantize_q4_1},
    {6, "Q5_0", 32, 22, std::nullopt, dequantize_q5_0},
    {7, "Q5_1", 32, 24, std::nullopt, dequantize_q5_1},
    {8, "Q8_0", 32, 34, std::nullopt, dequantize_q8_0},
    {9, "Q8_1", 32, 40, std::nullopt},
    {10, "Q2_K", 256, 84, std::nullopt, dequantize_q2_k},
    {11, "Q3_K", 256, 110, std::nullopt, dequantize_q3_k},
    {12, "Q4_K", 256, 144, std::nullopt, dequantize_q4_k},
    {13, "Q5_K", 256, 176, std::nullopt, dequantize_q5_k},
    {14, "Q6_K", 256, 210, std::nullopt, dequantize_q6_k},
    {15, "Q8_K", 256, 292, std::nullopt},
    {16, "IQ2_XXS", 256, 66, std::nullopt},
    {17, "IQ2_XS", 256, 74, std::nullopt},
    {18, "IQ3_XXS", 256, 98, std::nullopt},
    {19, "IQ1_S", 256, 50, std::nullopt},
    {20, "IQ4_NL", 32, 18, std::nullopt},
    {21, "IQ3_S", 256, 110, std::nullopt},
    {22, "IQ2_S", 256, 82, std::nullopt},
    {23, "IQ4_XS", 256, 136, std::nullopt},
    {24, "I8", 1, 1, Dtype::I8},
    {25, "I16", 1, 2, Dtype::I16},
    {26, "I32", 1, 4, Dtype::I32},
    {27, "I64", 1, 8, Dtype::I64},
    {28, "F64", 1, 8, Dtype::F64},
    {29, "IQ1_M", 256, 56, std::nullopt},
    {30, "BF16", 1, 2, Dtype::BF16},
    {34, "TQ1_0", 256, 54, std::nullopt},
    {35, "TQ2_0", 256, 66, std::nullopt},
    {39, "MXFP4", 32, 17, std::nullopt},
    {40, "NVFP4", 64, 36, std::nullopt},
    {41, "Q1_0", 128, 18, std::nullopt},
    {42, "Q2_0", 64, 18, std::nullopt},
};

struct Removed {
  uint32_t id;
  const char* name;
};
constexpr Removed kRemoved[] = {{4, "Q4_2"},      {5, "Q4_3"},        {31, "Q4_0_4_4"},   {32, "Q4_0_4_8"},
                                {33, "Q4_0_8_8"}, {36, "IQ4_NL_4_4"}, {37, "IQ4_NL_4_8"}, {38, "IQ4_NL_8_8"}};

}  // namespace

const GgmlType* find_ggml_type(uint32_t id) {
  for (const GgmlType& t : kTypes)
    if (t.id == id) return &t;
  return nullptr;
}

const GgmlType* find_ggml_type(std::string_view name) {
  for (const GgmlType& t : kTypes)
    if (name == t.name) return &t;
  return nullptr;
}

const char* removed_ggml_type(uint32_t id) {
  for (const Removed& r : kRemoved)
    if (r.id == id) return r.name;
  return nullptr;
}

std::string decoded_ggml_types() {
  std::string list;
  for (const GgmlType& t : kTypes)
    if (t.dequantize || (t.plain && dtype_is_analyzable(*t.plain))) list += (list.empty() ? "" : ", ") + std::string(t.name);
  return list;
}

}  // namespace ws
