"""Protocol checks of the installed "gofm" kernel (GoNB) with jupyter_kernel_test.

Run with the project venv's Python, which has jupyter_kernel_test at the version pinned
in kernel/requirements.txt (make test does):

    ~/.local/share/gofm/venv/bin/python -m unittest -v kernel/kernel_check.py

It also runs with Debian's python3-jupyter-kernel-test 0.4.5 (/usr/bin/python3), the
classic-Notebook fallback of kernel/install.sh.

Every reply is awaited with a timeout, so a kernel that does not answer fails the
check instead of hanging it. GoNB's known gaps are asserted as gaps (see the
README's "Known limitations"): if GoNB closes one, the matching test fails and
tells us to update the README.
"""
import inspect
import os
import tempfile
import time
import unittest
from queue import Empty

import jupyter_kernel_test
from jupyter_client.manager import start_new_kernel
from jupyter_client.utils import run_sync

# A Go cell is compiled before it runs: about a second with a warm build cache,
# much longer on a cold one. 120 s bounds the worst case of a cold cache.
EXEC_TIMEOUT = 120



def sync(f):
    """f as a blocking call: jupyter_client 7 (Debian) returns coroutines from the
    blocking client's channels, jupyter_client 8 returns values."""
    return run_sync(f) if inspect.iscoroutinefunction(f) else f


# The repository root (this file is kernel/kernel_check.py).
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class GofmKernelTests(jupyter_kernel_test.KernelTests):
    kernel_name = "gofm"
    language_name = "go"
    file_extension = ".go"

    code_hello_world = '%%\nfmt.Println("hello, world")'
    code_stderr = '%%\nfmt.Fprintln(os.Stderr, "to stderr")'
    # Completion works inside a function body ("%%" starts main); a bare top-level
    # expression gets no matches from GoNB. The second sample completes a name of
    # this project's library, through the wiring done in setUpClass.
    completion_samples = [
        {"text": "%%\nfmt.Printl", "matches": {"Println", "Fprintln", "Sprintln"}},
        {"text": 'import "github.com/gofm/gofm/fmlib/session"\n%%\nsession.Qui', "matches": {"Quick", "QuickEnv"}},
    ]
    code_inspect_sample = "fmt.Println"
    code_display_data = [
        {"code": 'import "github.com/janpfeifer/gonb/gonbui"\n%%\ngonbui.DisplayHTML("<b>hi</b>")\ngonbui.Sync()', "mime": "text/html"},
    ]
    # GoNB sends no execute_result (cells print instead), so code_execute_result stays empty.

    @classmethod
    def setUpClass(cls):
        # GoNB logs every step to stderr; keep that out of the test report, in a file
        # whose path is printed (GOFM_KERNEL_LOG chooses it).
        path = os.environ.get("GOFM_KERNEL_LOG") or os.path.join(tempfile.gettempdir(), "gofm-kernel-check.log")
        cls.kernel_log = open(path, "w")
        print("kernel log: %s" % path)
        cls.km, cls.kc = start_new_kernel(kernel_name=cls.kernel_name, stderr=cls.kernel_log, stdout=cls.kernel_log)
        # Wire the cell module to this checkout, as every notebook's first cell does.
        wire = '!*bash "$(dirname "$(go env -C "$GONB_DIR" GOMOD)")/kernel/wire.sh"'
        reply = cls.kc.execute_interactive(wire, timeout=EXEC_TIMEOUT, output_hook=lambda msg: None)
        assert reply["content"]["status"] == "ok", "wiring the cell module failed: %s" % reply["content"]

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        cls.kernel_log.close()

    def execute_helper(self, code, timeout=EXEC_TIMEOUT, **kw):
        return super().execute_helper(code, timeout=timeout, **kw)

    def test_error(self):
        """A compile error: the reply is an error and an error message is published.

        Known gap: GoNB publishes two messages (an HTML rendering of the compiler
        output, then the error), where the suite expects exactly one; asserted as it is,
        so a change shows up here."""
        self.flush_channels()
        reply, output_msgs = self.execute_helper('%%\nvar x int = "not an int"\n_ = x')
        self.assertEqual(reply["content"]["status"], "error")
        types = [m["msg_type"] for m in output_msgs]
        self.assertIn("error", types, "no error message published: %s" % types)
        self.assertEqual(types, ["display_data", "error"],
                         "GoNB's error messages changed (was an HTML display_data, then the error): "
                         "if it now sends one, drop this override and use the suite's test_error")

    def test_history_known_gap(self):
        """Known gap: GoNB does not answer history_request (JupyterLab's console asks for
        it to fill the up-arrow history; the console still works without it)."""
        self.flush_channels()
        self.kc.history(hist_access_type="tail", n=5)
        try:
            reply = self.kc.get_shell_msg(timeout=3)
        except Empty:
            return  # the documented gap
        if reply["header"]["msg_type"] == "history_reply":
            self.fail("GoNB now answers history_request: enable the suite's test_history "
                      "and remove the gap from the README's known limitations")

    def test_cell_environment(self):
        """A cell's program runs with the settings every gofm build needs: the Go toolchain
        go.mod names (GOTOOLCHAIN, so GoNB compiles cells with it), GOEXPERIMENT=simd (the Go
        backend's fast matmul) and GODEBUG=cpu.fma=off (see fmlib/backend.MathSetting), all
        from the kernelspec, and no speed warning from fmlib/backend."""
        self.flush_channels()
        code = ('import "github.com/gofm/gofm/fmlib/backend"\n%%\n'
                'fmt.Printf("env go=%s GOEXPERIMENT=%s GODEBUG=%s warning=%q\\n", runtime.Version(), os.Getenv("GOEXPERIMENT"), os.Getenv("GODEBUG"), backend.SpeedWarning())')
        reply, output_msgs = self.execute_helper(code)
        self.assertEqual(reply["content"]["status"], "ok", output_msgs)
        out = "".join(m["content"].get("text", "") for m in output_msgs if m["msg_type"] == "stream")
        with open(os.path.join(ROOT, "go.mod")) as f:
            toolchain = [l.split()[1] for l in f if l.startswith("toolchain ")]
        self.assertEqual(len(toolchain), 1, "go.mod has no toolchain line")
        # runtime.Version() of a GOEXPERIMENT build reads e.g. go1.27.3 X:simd.
        self.assertIn("go=%s" % toolchain[0], out)
        self.assertIn("GOEXPERIMENT=simd", out)
        self.assertIn("cpu.fma=off", out)
        self.assertIn('warning=""', out)

    def test_patched_compute(self):
        """A cell's program links the checkout's patched copy of GoMLX's compute module
        (go.mod's replace, which wire.sh repeats in the cell module): the upstream module
        faults on short SIMD tails (third_party/compute-patch/README.md)."""
        self.flush_channels()
        # The cell imports fmlib/backend so that its program links compute at all.
        code = ('import (\n\t"runtime/debug"\n\n\t"github.com/gofm/gofm/fmlib/backend"\n)\n%%\n'
                '_ = backend.SpeedWarning()\n'
                'info, _ := debug.ReadBuildInfo()\n'
                'for _, d := range info.Deps {\n'
                '\tif d.Path == "github.com/gomlx/compute" {\n'
                '\t\tfmt.Printf("compute %s replaced by %v\\n", d.Version, d.Replace)\n'
                '\t\tif d.Replace != nil {\n'
                '\t\t\tfmt.Printf("compute=%s\\n", d.Replace.Path)\n'
                '\t\t}\n'
                '\t}\n'
                '}')
        reply, output_msgs = self.execute_helper(code)
        self.assertEqual(reply["content"]["status"], "ok", output_msgs)
        out = "".join(m["content"].get("text", "") for m in output_msgs if m["msg_type"] == "stream")
        self.assertIn("compute=%s" % os.path.join(ROOT, "third_party", "compute"), out)

    def test_interrupt(self):
        """An interrupt stops a running cell quickly and the kernel keeps working."""
        self.flush_channels()
        msg_id = self.kc.execute(code='%%\nfmt.Println("sleeping")\ntime.Sleep(120 * time.Second)')
        # Wait until the program runs (it prints), so the interrupt hits the running cell.
        deadline = time.time() + EXEC_TIMEOUT
        started = False
        while time.time() < deadline and not started:
            try:
                msg = sync(self.kc.iopub_channel.get_msg)(timeout=1)
            except Empty:
                continue
            started = msg["msg_type"] == "stream" and "sleeping" in msg["content"].get("text", "")
        self.assertTrue(started, "the sleeping cell never started")
        t0 = time.time()
        self.km.interrupt_kernel()
        reply = self.get_non_kernel_info_reply(timeout=15)
        self.assertEqual(reply["parent_header"]["msg_id"], msg_id)
        self.assertLess(time.time() - t0, 15, "interrupt took too long")
        self.flush_channels()
        reply, output_msgs = self.execute_helper(code=self.code_hello_world)
        self.assertEqual(reply["content"]["status"], "ok")

    def test_execute_result_known_gap(self):
        """Known gap: GoNB publishes no execute_result; a cell's output is what it prints."""
        self.flush_channels()
        reply, output_msgs = self.execute_helper(code='%%\nfmt.Println(6 * 7)')
        self.assertEqual(reply["content"]["status"], "ok")
        types = [m["msg_type"] for m in output_msgs]
        self.assertIn("stream", types)
        self.assertNotIn("execute_result", types,
                         "GoNB now sends execute_result: update the README's known limitations and add code_execute_result")

    def test_is_complete_known_gap(self):
        """Known gap: GoNB never answers is_complete_request (console clients wait forever)."""
        self.flush_channels()
        self.kc.is_complete("fmt.Println(")
        try:
            reply = self.kc.get_shell_msg(timeout=3)
        except Empty:
            return  # the documented gap
        if reply["header"]["msg_type"] == "is_complete_reply":
            self.fail("GoNB now answers is_complete: remove the gap from the README's known limitations")


if __name__ == "__main__":
    unittest.main()
