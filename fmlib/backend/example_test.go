package backend_test

import (
	"fmt"
	"os"

	"github.com/gofm/gofm/fmlib/backend"
)

func ExampleNew() {
	os.Setenv(backend.EnvVar, "go") // what a machine without a GPU uses anyway
	b, err := backend.New()
	if err != nil {
		fmt.Println(err)
		return
	}
	defer b.Finalize()
	fmt.Println(backend.Last())
	// Output: backend: go (pure-Go backend) -- GOMLX_BACKEND=go
}
