package session_test

import (
	"fmt"
	"os"

	"github.com/gofm/gofm/fmlib/session"
)

func ExamplePick() {
	os.Setenv(session.QuickEnv, "1")
	steps := session.Pick(20000, 200)
	fmt.Println(steps)
	// Output: 200
}
