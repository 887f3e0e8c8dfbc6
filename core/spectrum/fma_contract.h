// Lets a*b+c become one FMA where the target has it (GCC's ISO mode otherwise keeps them apart);
// FMA only rounds less. Applies to every function defined after it in the including .cpp file, so
// the spectrum kernels include it after the standard headers (no #pragma once: it is a switch).
#if defined(__clang__)
#pragma clang fp contract(fast)
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=fast")
#endif
