#include "layers/base_pairing.h"

#include <cmath>
#include <cstring>
#include <stdexcept>

#include "io/input_error.h"
#include "layers/layer_plan.h"  // shape_text

namespace ws {
namespace {

uint64_t element_count(const TensorInfo& t) {
  const uint64_t bits = static_cast<uint64_t>(dtype_bits(t.dtype));
  return bits ? t.nbytes * 8 / bits : 0;
}

double* f64(DeltaTensor& d) { return reinterpret_cast<double*>(d.bytes.data()); }

}  // namespace

BaseModel::BaseModel(ModelInput model) : model_(std::move(model)) {
  for (size_t i = 0; i < model_.tensors.size(); ++i) index_.emplace(model_.tensors[i].name, i);
}

const TensorInfo* BaseModel::find(const std::string& name) const {
  const auto it = index_.find(name);
  return it == index_.end() ? nullptr : &model_.tensors[it->second];
}

std::vector<uint8_t> BaseModel::read(const TensorInfo& t) {
  try {
    return read_tensor(model_, t);
  } catch (const InputError& e) {
    throw InputError(std::string("base model: ") + e.what());
  }
}

std::string pairing_problem(const TensorInfo& ft, const TensorInfo* base) {
  if (!base) return "no tensor named '" + ft.name + "' in the base model";
  if (base->shape != ft.shape)
    return "shape " + shape_text(ft.shape) + " differs from the base model's " + shape_text(base->shape);
  if (!base->unsupported.empty()) return "base model: " + base->unsupported;
  if (!dtype_is_analyzable(base->dtype)) return std::string("base model: dtype ") + dtype_name(base->dtype) + " is not supported";
  return "";
}

DeltaTensor start_delta(const uint8_t* base, const TensorInfo& base_info) {
  const uint64_t n = element_count(base_info);
  if (n > SIZE_MAX / sizeof(double)) throw InputError(base_info.name + ": the float64 delta does not fit in memory here");
  DeltaTensor d;
  d.bytes.resize(static_cast<size_t>(n) * sizeof(double));
  double* out = f64(d);
  visit_analyzable(base_info.dtype, [&](auto D) {
    for (uint64_t i = 0; i < n; ++i) out[i] = -decode<D.value>(base, i);
  });
  d.info = base_info;
  d.info.dtype = Dtype::F64;
  d.info.nbytes = d.bytes.size();
  return d;
}

void add_to_delta(DeltaTensor& d, const uint8_t* ft, const TensorInfo& ft_info) {
  const uint64_t n = element_count(ft_info);
  if (n * sizeof(double) != d.bytes.size())
    throw std::logic_error("add_to_delta: " + ft_info.name + " is not the size of the base tensor it is paired with");
  double* out = f64(d);
  visit_analyzable(ft_info.dtype, [&](auto D) {
    for (uint64_t i = 0; i < n; ++i) out[i] += decode<D.value>(ft, i);
  });
  // The delta is the fine-tuned tensor's layer: its name, shape and storage type name it.
  const uint64_t nbytes = d.info.nbytes;
  d.info = ft_info;
  d.info.dtype = Dtype::F64;
  d.info.nbytes = nbytes;
  d.info.stored_nbytes = 0;
  d.info.onnx_encoding = 0;
}

double frobenius_norm(const uint8_t* data, const TensorInfo& t) {
  const uint64_t n = element_count(t);
  double sum = 0;
  visit_analyzable(t.dtype, [&](auto D) {
    for (uint64_t i = 0; i < n; ++i) {
      const double v = decode<D.value>(data, i);
      sum += v * v;
    }
  });
  return std::sqrt(sum);
}

double frobenius_distance(const uint8_t* a, const TensorInfo& ta, const uint8_t* b, const TensorInfo& tb) {
  const uint64_t n = element_count(ta);
  if (element_count(tb) != n) throw std::logic_error("frobenius_distance: " + ta.name + " and " + tb.name + " differ in size");
  double sum = 0;
  visit_analyzable(ta.dtype, [&](auto A) {
    visit_analyzable(tb.dtype, [&](auto B) {
      for (uint64_t i = 0; i < n; ++i) {
        const double v = decode<A.value>(a, i) - decode<B.value>(b, i);
        sum += v * v;
      }
    });
  });
  return std::sqrt(sum);
}

}  // namespace ws
