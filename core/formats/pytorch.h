#pragma once
// PyTorch checkpoints as torch.save writes them (torch/serialization.py): the zip format of
// torch >= 1.6 (<root>/data.pkl + one stored record <root>/data/<key> per storage) and the legacy
// format before it (magic number, protocol version, sys_info, the object and the storage-key list
// as five pickles, then each storage as a u64 element count and its bytes). The pickle is read by
// the restricted unpickler (pickle.h), which executes nothing; tensors come out as byte ranges of
// the file, read later one at a time like safetensors tensors.
#include <map>
#include <string>
#include <vector>

#include "formats/tensor_info.h"
#include "io/byte_source.h"

namespace ws {

struct PytorchFile {
  std::vector<TensorInfo> tensors;  // in the state dict's order
  // pytorch.container ("zip" or "legacy"); pytorch.state_dict_key (the checkpoint key whose dict
  // held the tensors, e.g. "state_dict"); pytorch.stripped_prefix ("module." of DataParallel).
  std::map<std::string, std::string> metadata;
};

// The file starts as torch.save's formats do: a zip local header, or the legacy format's pickle of
// its magic number.
bool has_pytorch_magic(ByteSource& src);

// The tensors of a state dict: the pickled dict itself, or the dict of tensors a training
// checkpoint keeps under one key ({'state_dict': ..., 'epoch': ...}, 'model', ...). Integer and
// bool tensors are listed with their dtype (the planner skips them); a non-contiguous view is
// listed with `unsupported` set. Throws InputError("<file>: ...") for anything malformed or refused.
PytorchFile parse_pytorch(ByteSource& src, size_t source_index = 0);

}  // namespace ws
