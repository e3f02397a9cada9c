//go:build linux && cgo

package backend

// Loading shared libraries by path and asking them their versions, for the
// CUDA set-up (cuda.go) and the GPU check. go-xla links libdl already.

// #cgo LDFLAGS: -ldl
/*
#include <dlfcn.h>
#include <stdlib.h>
#include <stddef.h>

static void *gofm_dlopen(const char *path, int now) {
	return dlopen(path, (now ? RTLD_NOW : RTLD_LAZY) | RTLD_LOCAL);
}

static const char *gofm_dlerror(void) {
	const char *e = dlerror();
	return e ? e : "unknown dlopen error";
}

// Calls size_t fn(void) (cudnnGetVersion); -1 if the symbol is missing.
static long long gofm_call_size(void *h, const char *sym) {
	size_t (*fn)(void) = (size_t (*)(void))dlsym(h, sym);
	if (!fn) return -1;
	return (long long)fn();
}

// Calls int fn(int *out) (cudaRuntimeGetVersion, cuDriverGetVersion); returns
// the call's status, or -1000 if the symbol is missing.
static int gofm_call_intout(void *h, const char *sym, int *out) {
	int (*fn)(int *) = (int (*)(int *))dlsym(h, sym);
	if (!fn) return -1000;
	return fn(out);
}

// Reads the PJRT C API version a plugin reports: PJRT_Api starts with
// struct_size and extension_start, then PJRT_Api_Version {struct_size,
// extension_start, int major, int minor}. These leading fields are fixed by
// the API so that versions can be compared. Returns 0, or -1 if the symbol
// is missing, -2 if it returned NULL.
static int gofm_pjrt_version(void *h, int *major, int *minor) {
	typedef struct { size_t struct_size; void *ext; int major; int minor; } version_t;
	typedef struct { size_t struct_size; void *ext; version_t version; } api_head_t;
	const void *(*get)(void) = (const void *(*)(void))dlsym(h, "GetPjrtApi");
	if (!get) return -1;
	const api_head_t *api = (const api_head_t *)get();
	if (!api) return -2;
	*major = api->version.major;
	*minor = api->version.minor;
	return 0;
}
*/
import "C"

import (
	"fmt"
	"sync"
	"unsafe"
)

var (
	dlMu      sync.Mutex
	dlHandles = map[string]unsafe.Pointer{} // libraries loaded for good, by path or soname
)

// dlopenKeep loads the shared library at path (resolving all its symbols now,
// so that a missing dependency shows here) and keeps it loaded.
func dlopenKeep(path string) error {
	_, err := dlopenCached(path, true)
	return err
}

func dlopenCached(name string, now bool) (unsafe.Pointer, error) {
	dlMu.Lock()
	defer dlMu.Unlock()
	if h, ok := dlHandles[name]; ok {
		return h, nil
	}
	cs := C.CString(name)
	defer C.free(unsafe.Pointer(cs))
	n := C.int(0)
	if now {
		n = 1
	}
	h := C.gofm_dlopen(cs, n)
	if h == nil {
		return nil, fmt.Errorf("%s", C.GoString(C.gofm_dlerror()))
	}
	dlHandles[name] = h
	return h, nil
}

// LibVersions are the versions of the CUDA pieces loaded in this process
// ("" when not available), as the libraries themselves report them.
type LibVersions struct {
	Driver  string // highest CUDA version the NVIDIA driver supports (libcuda.so.1)
	Runtime string // CUDA runtime (libcudart)
	CuDNN   string // cuDNN (libcudnn)
	Errors  []string
}

// CUDALibVersions asks the driver (libcuda.so.1, from the system), the CUDA
// runtime and cuDNN (the copies preloaded from dirs, else by soname) for their
// versions. None of these calls needs a GPU.
func CUDALibVersions(dirs []string) LibVersions {
	var v LibVersions
	if h, err := dlopenCached("libcuda.so.1", false); err != nil {
		v.Errors = append(v.Errors, "NVIDIA driver library: "+err.Error())
	} else {
		v.Driver = intVersion(h, "cuDriverGetVersion", &v.Errors)
	}
	open := func(stem string) unsafe.Pointer {
		for _, p := range preloadCandidates(dirs) {
			if soStem(p) == stem {
				if h, err := dlopenCached(p, true); err == nil {
					return h
				}
			}
		}
		return nil
	}
	if h := open("libcudart"); h != nil {
		v.Runtime = intVersion(h, "cudaRuntimeGetVersion", &v.Errors)
	}
	if h := open("libcudnn"); h != nil {
		cs := C.CString("cudnnGetVersion")
		n := int64(C.gofm_call_size(h, cs))
		C.free(unsafe.Pointer(cs))
		if n >= 0 {
			v.CuDNN = cudnnVersionString(n)
		}
	}
	return v
}

func intVersion(h unsafe.Pointer, sym string, errs *[]string) string {
	cs := C.CString(sym)
	defer C.free(unsafe.Pointer(cs))
	var out C.int
	st := int(C.gofm_call_intout(h, cs, &out))
	if st != 0 {
		*errs = append(*errs, fmt.Sprintf("%s returned status %d", sym, st))
		return ""
	}
	return cudaVersionString(int(out))
}

// PluginAPIVersion loads the plugin file (without initialising it) and returns
// the PJRT C API version it reports. The error is the loader's (a missing
// library, not a shared object) or says the file is no PJRT plugin.
func PluginAPIVersion(path string) (major, minor int, err error) {
	h, err := dlopenCached(path, false)
	if err != nil {
		return 0, 0, err
	}
	var ma, mi C.int
	switch C.gofm_pjrt_version(h, &ma, &mi) {
	case -1:
		return 0, 0, fmt.Errorf("%s does not export GetPjrtApi: it is not a PJRT plugin", path)
	case -2:
		return 0, 0, fmt.Errorf("%s: GetPjrtApi returned NULL", path)
	}
	return int(ma), int(mi), nil
}
