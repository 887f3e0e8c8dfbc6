#pragma once
// Fine-tuning deltas (docs/methods.md, "Fine-tuning deltas"): the fine-tuned model's tensors are
// matched to a base model's by name, and dW = float64(W_ft) - float64(W_base) is built from one
// tensor pair at a time, so two models are never both in memory.
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "formats/model_input.h"
#include "formats/tensor_info.h"

namespace ws {

// The base model of a comparison with its tensors found by name. It holds the open model (its
// sources and tensor list), never tensor bytes: each is read when its layer is.
class BaseModel {
 public:
  explicit BaseModel(ModelInput model);
  const ModelInput& model() const { return model_; }
  // The base tensor named `name` (the same key as in the fine-tuned model), or nullptr.
  const TensorInfo* find(const std::string& name) const;
  // Its bytes, as read_tensor gives them (dequantized for GGUF's block types).
  std::vector<uint8_t> read(const TensorInfo& t);

 private:
  ModelInput model_;
  std::unordered_map<std::string, size_t> index_;
};

// Why the fine-tuned tensor ft cannot be compared with base (nullptr: no base tensor of that
// name; a different shape), or "" when it can. Dtypes may differ: both sides become float64.
std::string pairing_problem(const TensorInfo& ft, const TensorInfo* base);

// dW as F64 elements, built in two passes so that at most one input tensor is resident beside it:
// start_delta(base) holds -float64(W_base), add_to_delta(ft) adds float64(W_ft). Since
// -b + f is the same IEEE operation as f - b, the result is exactly float64(W_ft) - float64(W_base).
// `info` describes the bytes: the fine-tuned tensor's name, shape and storage, dtype F64.
struct DeltaTensor {
  std::vector<uint8_t> bytes;
  TensorInfo info;
};
DeltaTensor start_delta(const uint8_t* base, const TensorInfo& base_info);
// Precondition: pairing_problem(ft_info, &base_info) == "" for the base that started d.
void add_to_delta(DeltaTensor& d, const uint8_t* ft, const TensorInfo& ft_info);

// sqrt(sum of squares) in float64 over a tensor's elements: ||dW||_F of a delta, weightwatcher's
// distances() delta_W / delta_b (there in float32).
double frobenius_norm(const uint8_t* data, const TensorInfo& t);
// ||a - b||_F of two paired tensors without forming a - b (the bias distance).
double frobenius_distance(const uint8_t* a, const TensorInfo& ta, const uint8_t* b, const TensorInfo& tb);

}  // namespace ws
