//go:build !(linux && cgo)

package backend

import "errors"

// Without cgo on Linux there is no dlopen (and no XLA backend either): the
// CUDA helpers report that instead of doing anything.

var errNoDL = errors.New("loading shared libraries needs a cgo build on Linux")

func dlopenKeep(string) error { return errNoDL }

// LibVersions are the versions of the CUDA pieces loaded in this process
// ("" when not available), as the libraries themselves report them.
type LibVersions struct {
	Driver, Runtime, CuDNN string
	Errors                 []string
}

// CUDALibVersions needs a cgo build on Linux; here it only says so.
func CUDALibVersions([]string) LibVersions { return LibVersions{Errors: []string{errNoDL.Error()}} }

// PluginAPIVersion needs a cgo build on Linux; here it only says so.
func PluginAPIVersion(string) (int, int, error) { return 0, 0, errNoDL }
