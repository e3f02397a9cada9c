// Package backend picks the compute backend that every fmlib graph runs on.
//
// New decides, in this order:
//
//  1. GOMLX_BACKEND set: that choice and nothing else. "go" (optionally "go:<config>")
//     is the pure-Go backend. "xla:<plugin>" is XLA through a PJRT plugin, where
//     <plugin> is a name such as "cuda" or "cpu" (searched for, see below) or the
//     absolute path of a plugin file; options after a comma are passed to XLA
//     ("xla:cuda,preallocate=false"). A choice that cannot be used is an error that
//     names the choice and every place that was searched: it never falls back silently.
//  2. GOMLX_BACKEND unset: XLA on CUDA when a CUDA PJRT plugin file is found and a
//     GPU device node exists; if that backend fails to start, the reason is kept and
//     the pure-Go backend is used.
//  3. Otherwise the pure-Go backend (build with GOEXPERIMENT=simd for its fast matmul).
//
// Plugins are searched for, in order, in the folders of PJRT_PLUGIN_LIBRARY_PATH,
// /usr/local/lib/go-xla, $HOME/.local/lib/go-xla, the folders of LD_LIBRARY_PATH,
// and the jax_plugins folders of Python environments (where the jax CUDA wheels put
// xla_cuda_plugin.so). Symbolic links are resolved, so XLA loads the real file.
//
// A CUDA plugin gets what it needs around it first (NewCUDA, used by New for
// both the automatic and the explicit choice): SetupCUDA finds NVIDIA's library
// wheels next to the plugin (site-packages/nvidia/...), their libraries are
// loaded by absolute path before the plugin (LD_LIBRARY_PATH would only work if
// set before the process started), XLA_FLAGS gets the CUDA data dir
// (ptxas, libdevice), and XLA starts with preallocate=false unless the options
// say otherwise. A failure is a *StartError whose Failure names the mode (no
// plugin, not a plugin, PJRT version mismatch, CUDA libraries missing, cuDNN,
// driver, toolkit files, out of memory) with what to do; cmd/gpucheck prints
// the whole diagnosis.
//
// Nothing here downloads anything: go-xla's automatic plugin installation is turned
// off, so an offline machine gets an answer at once, never a hang or a panic.
package backend
