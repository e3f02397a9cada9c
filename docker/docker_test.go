package docker

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/gofm/gofm/fmlib/backend"
)

// ---------------------------------------------------------------------------------
// A small Dockerfile parser.

// instruction is one Dockerfile instruction, continuation lines joined.
type instruction struct {
	Line int    // 1-based line where the instruction starts
	Cmd  string // keyword in upper case: FROM, RUN, COPY, ...
	Args string // everything after the keyword, continuation lines joined by a space
}

var heredocRE = regexp.MustCompile(`<<-?["']?[A-Za-z_][A-Za-z0-9_]*`)

// parseDockerfile splits a Dockerfile into instructions. It handles comment lines
// (also inside continuations, where Docker drops them), blank lines, and lines
// continued by a trailing backslash. It refuses what it does not understand (a
// different escape character, heredocs, a file that ends inside a continuation)
// instead of returning a wrong reading.
func parseDockerfile(src string) ([]instruction, error) {
	var (
		out  []instruction
		cur  *instruction
		buf  []string
		line int
	)
	sc := bufio.NewScanner(strings.NewReader(src))
	sc.Buffer(make([]byte, 0, 64*1024), 1024*1024)
	for sc.Scan() {
		line++
		raw := sc.Text()
		trimmed := strings.TrimSpace(raw)
		if cur == nil {
			if trimmed == "" {
				continue
			}
			if strings.HasPrefix(trimmed, "#") {
				d := strings.ToLower(strings.ReplaceAll(trimmed, " ", ""))
				if strings.HasPrefix(d, "#escape=") && d != "#escape=\\" {
					return nil, fmt.Errorf("line %d: escape directive %q is not supported by this parser", line, trimmed)
				}
				continue
			}
			kw, rest, _ := strings.Cut(trimmed, " ")
			if i := strings.IndexByte(kw, '\t'); i >= 0 {
				kw, rest = kw[:i], kw[i+1:]+" "+rest
			}
			cur = &instruction{Line: line, Cmd: strings.ToUpper(kw)}
			buf = buf[:0]
			trimmed = strings.TrimSpace(rest)
		} else if trimmed == "" || strings.HasPrefix(trimmed, "#") {
			continue // Docker removes comment and empty lines inside a continuation
		}
		if strings.HasSuffix(trimmed, `\`) {
			buf = append(buf, strings.TrimSpace(strings.TrimSuffix(trimmed, `\`)))
			continue
		}
		buf = append(buf, trimmed)
		cur.Args = strings.TrimSpace(strings.Join(buf, " "))
		switch cur.Cmd {
		case "RUN", "COPY", "ADD":
			if heredocRE.MatchString(cur.Args) {
				return nil, fmt.Errorf("line %d: heredocs are not supported by this parser", cur.Line)
			}
		}
		out = append(out, *cur)
		cur = nil
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if cur != nil {
		return nil, fmt.Errorf("line %d: the file ends inside the continuation of %s", cur.Line, cur.Cmd)
	}
	return out, nil
}

// words splits shell-form arguments into words, honouring single and double quotes
// and backslash escapes (enough for ENV, ARG, COPY, EXPOSE and USER lines).
func words(s string) ([]string, error) {
	var (
		out   []string
		w     strings.Builder
		in    bool // inside a word
		quote rune
	)
	rs := []rune(s)
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		switch {
		case quote != 0:
			if r == quote {
				quote = 0
			} else if r == '\\' && quote == '"' && i+1 < len(rs) {
				i++
				w.WriteRune(rs[i])
			} else {
				w.WriteRune(r)
			}
		case r == '\'' || r == '"':
			quote, in = r, true
		case r == '\\' && i+1 < len(rs):
			i++
			w.WriteRune(rs[i])
			in = true
		case r == ' ' || r == '\t':
			if in {
				out = append(out, w.String())
				w.Reset()
				in = false
			}
		default:
			w.WriteRune(r)
			in = true
		}
	}
	if quote != 0 {
		return nil, fmt.Errorf("unterminated %c quote in %q", quote, s)
	}
	if in {
		out = append(out, w.String())
	}
	return out, nil
}

// execOrShellWords returns the words of a JSON (exec) form argument list, or the
// shell words of a shell form.
func execOrShellWords(args string) ([]string, error) {
	if strings.HasPrefix(args, "[") {
		var v []string
		if err := json.Unmarshal([]byte(args), &v); err != nil {
			return nil, fmt.Errorf("bad JSON form %q: %v", args, err)
		}
		return v, nil
	}
	return words(args)
}

// keyValues parses ENV / ARG / LABEL arguments: key=value pairs, or the legacy
// "ENV key value" form. ARG without a default gives an empty value.
func keyValues(cmd, args string) ([][2]string, error) {
	ws, err := words(args)
	if err != nil {
		return nil, err
	}
	if len(ws) == 0 {
		return nil, fmt.Errorf("%s without arguments", cmd)
	}
	if cmd == "ENV" && !strings.Contains(ws[0], "=") {
		if len(ws) < 2 {
			return nil, fmt.Errorf("ENV %s has no value", ws[0])
		}
		_, rest, _ := strings.Cut(strings.TrimSpace(args), ws[0])
		return [][2]string{{ws[0], strings.TrimSpace(rest)}}, nil
	}
	var kv [][2]string
	for _, w := range ws {
		k, v, ok := strings.Cut(w, "=")
		if !ok && cmd != "ARG" {
			return nil, fmt.Errorf("%s %q is not key=value", cmd, w)
		}
		kv = append(kv, [2]string{k, v})
	}
	return kv, nil
}

// dockerfile is a parsed Dockerfile with what the checks look up often.
type dockerfile struct {
	Name  string
	Insts []instruction
	Args  map[string]string // ARG defaults (any stage)
	Env   map[string]string // ENV of the final stage, in order of appearance, last wins
	Final []instruction     // the instructions of the final stage (after the last FROM)
}

func parseFile(name, src string) (*dockerfile, error) {
	insts, err := parseDockerfile(src)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	df := &dockerfile{Name: name, Insts: insts, Args: map[string]string{}, Env: map[string]string{}}
	last := -1
	for i, in := range insts {
		if in.Cmd == "FROM" {
			last = i
		}
	}
	if last < 0 {
		return nil, fmt.Errorf("%s: no FROM instruction", name)
	}
	df.Final = insts[last:]
	for i, in := range insts {
		if in.Cmd != "ARG" && in.Cmd != "ENV" {
			continue
		}
		kv, err := keyValues(in.Cmd, in.Args)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %w", name, in.Line, err)
		}
		for _, p := range kv {
			if in.Cmd == "ARG" {
				df.Args[p[0]] = p[1]
			} else if i > last {
				df.Env[p[0]] = p[1]
			}
		}
	}
	return df, nil
}

var varRefRE = regexp.MustCompile(`\$(?:\{([A-Za-z_][A-Za-z0-9_]*)(?::([-+])([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))`)

// expand replaces $NAME, ${NAME}, ${NAME:-word} and ${NAME:+word} in s as Docker
// does; an unset NAME is empty.
func expand(s string, vars map[string]string) string {
	return varRefRE.ReplaceAllStringFunc(s, func(ref string) string {
		m := varRefRE.FindStringSubmatch(ref)
		if m[4] != "" {
			return vars[m[4]]
		}
		v := vars[m[1]]
		switch m[2] {
		case "-":
			if v == "" {
				return m[3]
			}
		case "+":
			if v != "" {
				return m[3]
			}
			return ""
		}
		return v
	})
}

// argRef returns NAME when s is exactly $NAME or ${NAME}, else "".
func argRef(s string) string {
	if m := varRefRE.FindStringSubmatch(s); m != nil && m[0] == s && m[2] == "" {
		return m[1] + m[4]
	}
	return ""
}

// finalEnv returns the value that the final stage's ENV instructions give key: raw as
// written, value with variables replaced as Docker does (by the stage's ARG defaults,
// where a global ARG, declared before the first FROM, counts only if the stage
// declares it again, and by earlier ENV values, which win over an ARG of the same
// name), and at, the index in df.Final of the last ENV that sets key (-1: none).
// Build arguments passed on the command line are not known here: the defaults are
// what the checks hold to. A stage built FROM another stage of the file does not
// inherit that stage's ENV here (the project's Dockerfiles have one stage).
func finalEnv(df *dockerfile, key string) (raw, value string, at int) {
	global := map[string]string{}
	for _, in := range df.Insts {
		if in.Cmd == "FROM" {
			break
		}
		if in.Cmd == "ARG" {
			kv, _ := keyValues("ARG", in.Args)
			for _, p := range kv {
				global[p[0]] = p[1]
			}
		}
	}
	vars := map[string]string{}
	fromEnv := map[string]bool{}
	at = -1
	for i, in := range df.Final {
		if in.Cmd != "ARG" && in.Cmd != "ENV" {
			continue
		}
		kv, err := keyValues(in.Cmd, in.Args)
		if err != nil {
			continue // parseFile has reported it
		}
		// All pairs of one instruction see the values from before it.
		vals := make([]string, len(kv))
		for j, p := range kv {
			vals[j] = expand(p[1], vars)
		}
		for j, p := range kv {
			k, v := p[0], vals[j]
			if in.Cmd == "ARG" {
				if fromEnv[k] {
					continue
				}
				if g, ok := global[k]; ok && v == "" {
					v = g
				}
			} else {
				fromEnv[k] = true
				if k == key {
					raw, value, at = p[1], v, i
				}
			}
			vars[k] = v
		}
	}
	return raw, value, at
}

// ---------------------------------------------------------------------------------
// What the checks compare against: go.mod and .dockerignore.

type modInfo struct {
	GoVersion   string // the `go` line, e.g. "1.27"
	Toolchain   string // the `toolchain` line, e.g. "go1.27.3": the Go the images run (GOTOOLCHAIN)
	GonbVersion string // the required gonb version, e.g. "v0.11.3"
}

func readModInfo(root string) (modInfo, error) {
	b, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		return modInfo{}, err
	}
	var m modInfo
	for _, l := range strings.Split(string(b), "\n") {
		f := strings.Fields(strings.TrimSpace(l))
		switch {
		case len(f) == 2 && f[0] == "go":
			m.GoVersion = f[1]
		case len(f) == 2 && f[0] == "toolchain":
			m.Toolchain = f[1]
		case len(f) >= 2 && f[0] == "github.com/janpfeifer/gonb":
			m.GonbVersion = f[1]
		case len(f) >= 3 && f[0] == "require" && f[1] == "github.com/janpfeifer/gonb":
			m.GonbVersion = f[2]
		}
	}
	if m.GoVersion == "" || m.Toolchain == "" || m.GonbVersion == "" {
		return m, fmt.Errorf("go.mod: no go line, no toolchain line or no gonb requirement (got %+v)", m)
	}
	if _, _, _, err := version(m.Toolchain); err != nil || !strings.HasPrefix(m.Toolchain, "go") {
		return m, fmt.Errorf("go.mod: toolchain %q is not a Go release such as go1.27.3", m.Toolchain)
	}
	return m, nil
}

// version splits "1.26.5" into numbers; a missing patch is 0.
func version(s string) (major, minor, patch int, err error) {
	p := strings.Split(strings.TrimPrefix(s, "go"), ".")
	if len(p) < 2 || len(p) > 3 {
		return 0, 0, 0, fmt.Errorf("version %q is not MAJOR.MINOR[.PATCH]", s)
	}
	n := make([]int, 3)
	for i, x := range p {
		if n[i], err = strconv.Atoi(x); err != nil {
			return 0, 0, 0, fmt.Errorf("version %q: %v", s, err)
		}
	}
	return n[0], n[1], n[2], nil
}

// dockerignore reads the root's .dockerignore patterns. Exceptions ("!pattern")
// are refused: the simple matcher below does not implement them.
func dockerignore(root string) ([]string, error) {
	b, err := os.ReadFile(filepath.Join(root, ".dockerignore"))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	var pats []string
	for _, l := range strings.Split(string(b), "\n") {
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		if strings.HasPrefix(l, "!") {
			return nil, fmt.Errorf(".dockerignore: exception %q is not supported by these tests", l)
		}
		pats = append(pats, filepath.Clean(strings.TrimPrefix(l, "/")))
	}
	return pats, nil
}

// ignored reports whether rel (slash-separated, relative to the context root) or
// one of its parent folders matches a pattern. "**/" at the start of a pattern
// matches any number of leading folders.
func ignored(rel string, pats []string) bool {
	parts := strings.Split(filepath.ToSlash(filepath.Clean(rel)), "/")
	for i := 1; i <= len(parts); i++ {
		prefix := strings.Join(parts[:i], "/")
		for _, p := range pats {
			if ok, _ := filepath.Match(p, prefix); ok {
				return true
			}
			if rest, ok := strings.CutPrefix(p, "**/"); ok {
				for j := 0; j < i; j++ {
					if ok, _ := filepath.Match(rest, strings.Join(parts[j:i], "/")); ok {
						return true
					}
				}
			}
		}
	}
	return false
}

// ---------------------------------------------------------------------------------
// The checks.

var (
	// An empty token or password on a Jupyter option: --ServerApp.token=, ='', ="",
	// or the end of a JSON element right after "=".
	emptySecretRE = regexp.MustCompile(`(?i)\.(token|password)=(''|""|"\s*[,\]]|\s|$)`)
	emptyEnvRE    = regexp.MustCompile(`(?i)JUPYTER_TOKEN=(''|""|\s|$)`)
	sha256RE      = regexp.MustCompile(`^[0-9a-f]{64}$`) // a SHA-256 is 64 hex digits
	gonbAtRE      = regexp.MustCompile(`janpfeifer/gonb@`)
)

// port 8888 is Jupyter's default and the one the README publishes.
const jupyterPort = "8888"

// check returns every problem found in df; root is the build context.
func check(df *dockerfile, root string, mod modInfo) []string {
	var probs []string
	bad := func(format string, a ...any) { probs = append(probs, fmt.Sprintf(format, a...)) }

	pats, err := dockerignore(root)
	if err != nil {
		bad("%v", err)
	}
	var (
		runsInstall, fetchesData, verifiesGo, exposes, healthcheck bool
		user                                                       string
		cmd                                                        []string
	)
	for _, in := range df.Insts {
		// Token authentication stays on, wherever the option is written.
		if emptySecretRE.MatchString(in.Args) {
			bad("line %d: %s sets an empty Jupyter token or password (token authentication must stay on)", in.Line, in.Cmd)
		}
		if strings.Contains(strings.ToLower(in.Args), "disable_check_xsrf") {
			bad("line %d: %s disables Jupyter's XSRF check", in.Line, in.Cmd)
		}
		if emptyEnvRE.MatchString(in.Args) && in.Cmd != "ENV" {
			bad("line %d: %s sets an empty JUPYTER_TOKEN (token authentication must stay on)", in.Line, in.Cmd)
		}
		if mod.GonbVersion != "" && strings.Contains(in.Args, mod.GonbVersion) || gonbAtRE.MatchString(in.Args) {
			bad("line %d: %s names a gonb version; it comes from go.mod through kernel/install.sh", in.Line, in.Cmd)
		}
		switch in.Cmd {
		case "COPY", "ADD":
			probs = append(probs, checkCopy(in, root, pats)...)
		case "RUN":
			if strings.Contains(in.Args, "kernel/install.sh") {
				runsInstall = true
			}
			if strings.Contains(in.Args, "scripts/fetch-mnist.sh") {
				fetchesData = true
			}
			if strings.Contains(in.Args, "sha256sum -c") && strings.Contains(in.Args, "GO_VERSION") {
				verifiesGo = true
			}
		}
	}
	for _, in := range df.Final {
		switch in.Cmd {
		case "EXPOSE":
			ws, _ := words(in.Args)
			for _, w := range ws {
				if strings.TrimSuffix(w, "/tcp") == jupyterPort {
					exposes = true
				}
			}
		case "HEALTHCHECK":
			healthcheck = !strings.EqualFold(strings.TrimSpace(in.Args), "NONE") && strings.Contains(in.Args, jupyterPort)
		case "USER":
			user = strings.TrimSpace(in.Args)
		case "CMD":
			cmd, err = execOrShellWords(in.Args)
			if err != nil {
				bad("line %d: CMD: %v", in.Line, err)
			}
		case "ENV":
			kv, _ := keyValues("ENV", in.Args)
			for _, p := range kv {
				if p[0] == "JUPYTER_TOKEN" {
					bad("line %d: ENV JUPYTER_TOKEN bakes a token into the image; pass it with docker run -e instead", in.Line)
				}
			}
		}
	}
	if !runsInstall {
		bad("no RUN runs kernel/install.sh (the one install path for the kernel)")
	}
	if !fetchesData {
		bad("no RUN runs scripts/fetch-mnist.sh: the image would have no MNIST (make data's script, checksums verified)")
	}
	if v := df.Env["GOEXPERIMENT"]; !strings.Contains(","+v+",", ",simd,") {
		bad("ENV GOEXPERIMENT=simd is missing in the final stage (got %q)", v)
	}
	if v := df.Env["GODEBUG"]; !strings.Contains(","+v+",", ",cpu.fma=off,") {
		bad("ENV GODEBUG=cpu.fma=off is missing in the final stage (got %q): the Go backend's exp runs 10-100x slower without it", v)
	}
	probs = append(probs, checkJupyterPins(df)...)
	if !exposes {
		bad("EXPOSE %s is missing", jupyterPort)
	}
	if !healthcheck {
		bad("no HEALTHCHECK probing port %s", jupyterPort)
	}
	switch u, _, _ := strings.Cut(user, ":"); u {
	case "":
		bad("no USER in the final stage: the server would run as root")
	case "root", "0":
		bad("the final USER is %q: the server must not run as root", user)
	}
	probs = append(probs, checkCmd(cmd)...)
	probs = append(probs, checkGo(df, mod, verifiesGo)...)
	return probs
}

// installReads are the files kernel/install.sh reads besides itself: a COPY before its
// first RUN must bring each (or the whole context), or that RUN fails in the build.
var installReads = []string{"go.mod", "go.sum", "kernel/requirements.txt", "kernel/tools/go.mod",
	"kernel/logo/logo-svg.svg", "kernel/logo/logo-32x32.png", "kernel/logo/logo-64x64.png", "scripts/apt-install.sh"}

// jupyterPinRE matches a JupyterLab (or notebook server) version named in an instruction:
// the versions come from kernel/requirements.txt through kernel/install.sh, so both
// images and `make install` get one consistent set.
var jupyterPinRE = regexp.MustCompile(`(?i)\b(jupyterlab|jupyter_server|jupyter-server|notebook|nbconvert|nbclient|jupyter_client|jupyter-client)\s*(==|>=|<=|~=|>|<|@)`)

// checkJupyterPins checks that JupyterLab comes from kernel/requirements.txt through
// kernel/install.sh: no instruction pins a Jupyter package itself, and the files the
// script reads are copied before its first run.
func checkJupyterPins(df *dockerfile) []string {
	var probs []string
	copied := map[string]bool{}
	installed := false
	for _, in := range df.Insts {
		if in.Cmd == "RUN" && jupyterPinRE.MatchString(in.Args) {
			probs = append(probs, fmt.Sprintf("line %d: RUN names a Jupyter package version (%s); the versions come from kernel/requirements.txt through kernel/install.sh", in.Line, jupyterPinRE.FindString(in.Args)))
		}
		if in.Cmd == "COPY" || in.Cmd == "ADD" {
			srcs, _, _ := copySources(in) // checkCopy reports a malformed one
			for _, src := range srcs {
				copied[strings.TrimSuffix(strings.TrimPrefix(src, "./"), "/")] = true
			}
		}
		if in.Cmd == "RUN" && strings.Contains(in.Args, "kernel/install.sh") && !installed {
			installed = true
			for _, f := range installReads {
				if !copied[f] && !copied["."] && !copied[filepath.Dir(f)] {
					probs = append(probs, fmt.Sprintf("line %d: kernel/install.sh runs before %s is copied into the image (it reads it)", in.Line, f))
				}
			}
		}
	}
	return probs
}

// copySources returns the sources of a COPY or ADD (its words before the
// destination, flags dropped); fromStage is true for --from= (another stage or
// image, not the build context).
func copySources(in instruction) (srcs []string, fromStage bool, err error) {
	ws, err := execOrShellWords(in.Args)
	if err != nil {
		return nil, false, err
	}
	for len(ws) > 0 && strings.HasPrefix(ws[0], "--") {
		if strings.HasPrefix(ws[0], "--from=") {
			return nil, true, nil
		}
		ws = ws[1:]
	}
	if len(ws) < 2 {
		return nil, false, errors.New("needs a source and a destination")
	}
	return ws[:len(ws)-1], false, nil
}

func checkCopy(in instruction, root string, pats []string) []string {
	var probs []string
	srcs, fromStage, err := copySources(in)
	if err != nil {
		return []string{fmt.Sprintf("line %d: %s: %v", in.Line, in.Cmd, err)}
	}
	if fromStage {
		return nil
	}
	for _, src := range srcs {
		if strings.Contains(src, "://") || strings.HasPrefix(src, "git@") {
			probs = append(probs, fmt.Sprintf("line %d: %s of a URL (%s) is not checksum-verified; download with curl and sha256sum -c", in.Line, in.Cmd, src))
			continue
		}
		clean := filepath.Clean(strings.TrimPrefix(src, "/"))
		if clean == ".." || strings.HasPrefix(clean, "../") {
			probs = append(probs, fmt.Sprintf("line %d: %s source %q is outside the build context", in.Line, in.Cmd, src))
			continue
		}
		matches, _ := filepath.Glob(filepath.Join(root, clean))
		if len(matches) == 0 {
			probs = append(probs, fmt.Sprintf("line %d: %s source %q does not exist in the build context %s", in.Line, in.Cmd, src, root))
			continue
		}
		if clean != "." && ignored(clean, pats) {
			probs = append(probs, fmt.Sprintf("line %d: %s source %q is excluded by .dockerignore", in.Line, in.Cmd, src))
		}
	}
	return probs
}

// checkCmd: the server command starts JupyterLab on all interfaces (a container's
// published port reaches nothing bound to 127.0.0.1) at port 8888.
func checkCmd(cmd []string) []string {
	if len(cmd) == 0 {
		return []string{"no CMD: the image must start JupyterLab"}
	}
	joined := " " + strings.Join(cmd, " ") + " "
	var probs []string
	if !strings.Contains(joined, " jupyter lab ") && !strings.Contains(joined, "jupyter-lab ") {
		probs = append(probs, fmt.Sprintf("CMD %q does not start jupyter lab", cmd))
	}
	if !strings.Contains(joined, "--ip=0.0.0.0") && !strings.Contains(joined, "--ServerApp.ip=0.0.0.0") {
		probs = append(probs, fmt.Sprintf("CMD %q does not bind 0.0.0.0 (--ip=0.0.0.0)", cmd))
	}
	if strings.Contains(joined, "--port=") && !strings.Contains(joined, "--port="+jupyterPort+" ") {
		probs = append(probs, fmt.Sprintf("CMD %q does not serve on port %s", cmd, jupyterPort))
	}
	return probs
}

// minSwitchingGo is the first Go minor (of Go 1) whose go command switches to the
// toolchain that GOTOOLCHAIN names.
const minSwitchingGo = 21

// checkGo: the images run go.mod's toolchain. A bootstrap Go (ARG GO_VERSION) comes
// from go.dev's tarball, each pinned checksum looks like a SHA-256 and the download is
// verified with sha256sum -c; it must be Go 1.21 or newer, so that it can switch
// toolchains. The final stage's ENV GOTOOLCHAIN (ARGs resolved) must equal go.mod's
// `toolchain` line, so every go command runs that Go, fetched from the module proxy
// and verified against the checksum database; GOTOOLCHAIN=local, none, or another
// version fails with the value to set. A RUN of `go version` as the notebook user,
// after that ENV and before the kernel install, fetches it into the notebook user's
// module cache in a layer of its own.
func checkGo(df *dockerfile, mod modInfo, verified bool) []string {
	var probs []string
	bad := func(format string, a ...any) { probs = append(probs, fmt.Sprintf(format, a...)) }

	gv, ok := df.Args["GO_VERSION"]
	if !ok {
		bad("no ARG GO_VERSION pinning the bootstrap Go")
	} else if ma, mi, _, err := version(gv); err != nil {
		bad("ARG GO_VERSION: %v", err)
	} else if ma < 1 || ma == 1 && mi < minSwitchingGo {
		bad("ARG GO_VERSION=%s: the bootstrap Go must be 1.%d or newer, the first Go that can switch to GOTOOLCHAIN=%s", gv, minSwitchingGo, mod.Toolchain)
	}
	n := 0
	for k, v := range df.Args {
		if strings.HasPrefix(k, "GO_SHA256") {
			n++
			if !sha256RE.MatchString(v) {
				bad("ARG %s=%q is not a SHA-256 (64 hex digits)", k, v)
			}
		}
	}
	if n == 0 {
		bad("no ARG GO_SHA256_* pinning the bootstrap Go tarball's checksum")
	}
	if !verified {
		bad("no RUN downloads go${GO_VERSION} and checks it with sha256sum -c")
	}

	raw, tc, at := finalEnv(df, "GOTOOLCHAIN")
	fix := "set ENV GOTOOLCHAIN=" + mod.Toolchain
	if name := argRef(raw); name != "" {
		fix = fmt.Sprintf("set ARG %s=%s", name, mod.Toolchain)
	}
	fix += " (go.mod's toolchain line)"
	switch {
	case at < 0:
		bad("no ENV GOTOOLCHAIN in the final stage: %s; without it the bootstrap Go %s decides which Go builds", fix, gv)
		return probs
	case tc == mod.Toolchain:
	default:
		what := "ENV GOTOOLCHAIN=" + raw
		if raw != tc {
			what += " is " + strconv.Quote(tc)
		}
		why := "every go command must run go.mod's Go"
		if tc == "local" {
			why = "local keeps the bootstrap Go " + gv + " for every go command"
		}
		bad("line %d: %s: %s; %s", df.Final[at].Line, what, fix, why)
	}

	// The toolchain download: `go version` as the notebook user, after the ENV.
	user, fetched := "", false
	for i, in := range df.Final {
		if in.Cmd == "USER" {
			user, _, _ = strings.Cut(strings.TrimSpace(in.Args), ":")
		}
		if in.Cmd != "RUN" {
			continue
		}
		if strings.Contains(in.Args, "kernel/install.sh") {
			break
		}
		if i > at && strings.Contains(in.Args, "go version") {
			if user == "" || user == "root" || user == "0" {
				bad("line %d: the RUN with `go version` runs as root, so GOTOOLCHAIN's Go lands in root's module cache, not the notebook user's; run it after USER gofm", in.Line)
			}
			fetched = true
			break
		}
	}
	if !fetched {
		bad("no RUN `go version` between ENV GOTOOLCHAIN and the first kernel/install.sh: it fetches %s from the module proxy in a layer of its own and fails the build early if it cannot", mod.Toolchain)
	}
	return probs
}

// ---------------------------------------------------------------------------------
// Tests.

func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("repository root not found above docker/: %v", err)
	}
	return root
}

func load(t *testing.T, name string) (*dockerfile, string) {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	df, err := parseFile(name, string(b))
	if err != nil {
		t.Fatal(err)
	}
	return df, string(b)
}

func TestParseDockerfile(t *testing.T) {
	cases := []struct {
		name, src string
		want      []instruction
		wantErr   string
	}{
		{"comments and blanks", "# syntax=docker/dockerfile:1\n\n  # note\nFROM debian\n", []instruction{{4, "FROM", "debian"}}, ""},
		{"lower-case keyword", "from debian AS base\n", []instruction{{1, "FROM", "debian AS base"}}, ""},
		{"continuation with inner comment", "RUN a \\\n  # gone\n  && b \\\n\n  c\n", []instruction{{1, "RUN", "a && b c"}}, ""},
		{"tab after keyword", "ENV\tA=1\n", []instruction{{1, "ENV", "A=1"}}, ""},
		{"two instructions", "FROM x\nCMD [\"a\", \"b\"]\n", []instruction{{1, "FROM", "x"}, {2, "CMD", `["a", "b"]`}}, ""},
		{"unterminated continuation", "FROM x\nRUN a \\\n", nil, "ends inside the continuation"},
		{"heredoc", "FROM x\nRUN <<EOF\necho\nEOF\n", nil, "heredocs"},
		{"escape directive", "# escape=`\nFROM x\n", nil, "escape directive"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := parseDockerfile(c.src)
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(got) != fmt.Sprint(c.want) {
				t.Fatalf("got %v, want %v", got, c.want)
			}
		})
	}
}

func TestWordsAndKeyValues(t *testing.T) {
	cases := []struct {
		cmd, args string
		want      string
	}{
		{"ENV", `A=1 B="two words" C='x y'`, "[[A 1] [B two words] [C x y]]"},
		{"ENV", `A=x\ y PATH=/a:$PATH`, "[[A x y] [PATH /a:$PATH]]"}, // an escaped space stays in the value
		{"ENV", `LEGACY some value`, "[[LEGACY some value]]"},
		{"ARG", `NODEFAULT`, "[[NODEFAULT ]]"},
	}
	for _, c := range cases {
		kv, err := keyValues(c.cmd, c.args)
		if err != nil {
			t.Fatalf("%s %s: %v", c.cmd, c.args, err)
		}
		if got := fmt.Sprint(kv); got != c.want {
			t.Errorf("%s %s = %s, want %s", c.cmd, c.args, got, c.want)
		}
	}
	if _, err := words(`"open`); err == nil {
		t.Error(`words("\"open") did not report the unterminated quote`)
	}
}

func TestIgnored(t *testing.T) {
	pats := []string{".git", "out", "**/*.test"}
	cases := []struct {
		path string
		want bool
	}{
		{"out", true}, {"out/notebooks/a.html", true}, {".git/HEAD", true},
		{"fmlib/ode/ode.test", true}, {"x.test", true},
		{"outside", false}, {"fmlib/ode/ode.go", false}, {"go.mod", false},
	}
	for _, c := range cases {
		if got := ignored(c.path, pats); got != c.want {
			t.Errorf("ignored(%q) = %v, want %v", c.path, got, c.want)
		}
	}
}

// TestDockerfiles runs every check on the real Dockerfiles.
func TestDockerfiles(t *testing.T) {
	root := repoRoot(t)
	mod, err := readModInfo(root)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"Dockerfile", "Dockerfile.cuda"} {
		t.Run(name, func(t *testing.T) {
			df, _ := load(t, name)
			for _, p := range check(df, root, mod) {
				t.Error(p)
			}
		})
	}
}

// TestBaseImages: the CPU image is Debian 12, the GPU one NVIDIA's CUDA 13 image.
func TestBaseImages(t *testing.T) {
	for _, c := range []struct{ file, want string }{
		{"Dockerfile", "debian:bookworm"},
		{"Dockerfile.cuda", "nvidia/cuda:13."},
	} {
		df, _ := load(t, c.file)
		from := df.Final[0].Args
		if from == "${BASE_IMAGE}" || from == "$BASE_IMAGE" {
			from = df.Args["BASE_IMAGE"]
		}
		if !strings.HasPrefix(from, c.want) {
			t.Errorf("%s: base image %q, want %s...", c.file, from, c.want)
		}
	}
}

// parallel checks that gpu holds every instruction of cpu in the same order (the
// base image's default aside).
func parallel(cpu, gpu *dockerfile) error {
	key := func(in instruction) string {
		if in.Cmd == "ARG" && strings.HasPrefix(in.Args, "BASE_IMAGE=") {
			return "ARG BASE_IMAGE"
		}
		return in.Cmd + " " + in.Args
	}
	j := 0
	for _, in := range cpu.Insts {
		for j < len(gpu.Insts) && key(gpu.Insts[j]) != key(in) {
			j++
		}
		if j == len(gpu.Insts) {
			return fmt.Errorf("%s line %d (%s) is missing from %s or out of order", cpu.Name, in.Line, key(in), gpu.Name)
		}
		j++
	}
	return nil
}

// TestCUDAParallel: Dockerfile.cuda holds every instruction of Dockerfile in the same
// order, so a change to one that is not made to the other fails here; and a change
// made to one file only is caught.
func TestCUDAParallel(t *testing.T) {
	cpu, src := load(t, "Dockerfile")
	gpu, _ := load(t, "Dockerfile.cuda")
	if err := parallel(cpu, gpu); err != nil {
		t.Fatal(err)
	}
	for _, change := range [][2]string{
		{"EXPOSE 8888", "EXPOSE 8888 9000"},      // an edited instruction
		{"USER gofm\n", "USER gofm\nRUN true\n"}, // an added one
	} {
		edited := strings.Replace(src, change[0], change[1], 1)
		if edited == src {
			t.Fatalf("Dockerfile no longer contains %q", change[0])
		}
		cpu2, err := parseFile("edited Dockerfile", edited)
		if err != nil {
			t.Fatal(err)
		}
		if parallel(cpu2, gpu) == nil {
			t.Errorf("changing %q to %q in Dockerfile only was not caught", change[0], change[1])
		}
	}
}

// TestCUDAEnvironment: the GPU image installs jax's CUDA PJRT plugin into the venv and
// sets the environment so that fmlib/backend.FindPlugin finds it where pip puts it
// and the CUDA libraries of the wheels are on the loader's path.
func TestCUDAEnvironment(t *testing.T) {
	df, _ := load(t, "Dockerfile.cuda")
	venv := df.Env["VIRTUAL_ENV"]
	if venv == "" || venv != df.Env["GOFM_VENV"] {
		t.Fatalf("VIRTUAL_ENV=%q must name the venv kernel/install.sh creates (GOFM_VENV=%q)", venv, df.Env["GOFM_VENV"])
	}
	pip := false
	for _, in := range df.Final {
		if in.Cmd == "RUN" && strings.Contains(in.Args, "pip install") && strings.Contains(in.Args, "jax-cuda13-pjrt") {
			pip = true
		}
	}
	if !pip {
		t.Error("no RUN pip-installs jax-cuda13-pjrt")
	}
	site := venv + "/site-packages"
	for _, dir := range []string{site + "/nvidia/cu13/lib", site + "/nvidia/cudnn/lib"} {
		if !strings.Contains(":"+df.Env["LD_LIBRARY_PATH"]+":", ":"+dir+":") {
			t.Errorf("LD_LIBRARY_PATH=%q lacks %s", df.Env["LD_LIBRARY_PATH"], dir)
		}
	}
	if want := "--xla_gpu_cuda_data_dir=" + site + "/nvidia/cu13"; !strings.Contains(df.Env["XLA_FLAGS"], want) {
		t.Errorf("XLA_FLAGS=%q lacks %s", df.Env["XLA_FLAGS"], want)
	}

	// Lay out the venv as pip does, under a temporary root, and ask FindPlugin with the
	// image's environment (its absolute paths moved under that root).
	tmp := t.TempDir()
	plugin := filepath.Join(tmp, venv, "lib", "python3.12", "site-packages", "jax_plugins", "xla_cuda13", "xla_cuda_plugin.so")
	if err := os.MkdirAll(filepath.Dir(plugin), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(plugin, []byte("not a real plugin"), 0o644); err != nil {
		t.Fatal(err)
	}
	lookup := func(k string) (string, bool) {
		if k == "HOME" {
			return filepath.Join(tmp, "home", "gofm"), true
		}
		v, ok := df.Env[k]
		if !ok || k == "PJRT_PLUGIN_LIBRARY_PATH" && v == "" {
			return "", false
		}
		var parts []string
		for _, p := range filepath.SplitList(v) {
			if strings.HasPrefix(p, "/") {
				p = filepath.Join(tmp, p)
			}
			parts = append(parts, p)
		}
		return strings.Join(parts, string(os.PathListSeparator)), true
	}
	got, searched := backend.FindPlugin("cuda", lookup)
	if got != "" && !strings.HasPrefix(got, tmp) {
		t.Skipf("this machine has its own CUDA plugin (%s), found before the image's layout", got)
	}
	if want, _ := filepath.EvalSymlinks(plugin); got != want {
		t.Errorf("FindPlugin with the image's environment found %q, want %q; searched %v", got, want, searched)
	}
}

// TestChecksFailOnBrokenDockerfiles breaks the CPU Dockerfile in one way at a time
// and requires the checks to report that breakage.
func TestChecksFailOnBrokenDockerfiles(t *testing.T) {
	root := repoRoot(t)
	mod, err := readModInfo(root)
	if err != nil {
		t.Fatal(err)
	}
	_, src := load(t, "Dockerfile")
	// A toolchain next to go.mod's (go1.27.2 for go1.27.3).
	ta, ti, tp, _ := version(mod.Toolchain)
	if tp > 0 {
		tp--
	} else {
		tp++
	}
	other := fmt.Sprintf("go%d.%d.%d", ta, ti, tp)
	fix := "set ENV GOTOOLCHAIN=" + mod.Toolchain
	sub := func(old, new string) func(string) string {
		return func(s string) string { return strings.ReplaceAll(s, old, new) }
	}
	appendLine := func(l string) func(string) string { return func(s string) string { return s + l + "\n" } }
	both := func(f, g func(string) string) func(string) string { return func(s string) string { return g(f(s)) } }
	cases := []struct {
		name   string
		mutate func(string) string
		want   string // a substring of the expected problem
	}{
		{"empty token in CMD", sub(`"--no-browser",`, `"--no-browser", "--ServerApp.token=",`), "empty Jupyter token"},
		{"empty quoted token in RUN", appendLine(`RUN jupyter lab --NotebookApp.token='' &`), "empty Jupyter token"},
		{"empty password", sub(`"--no-browser",`, `"--no-browser", "--ServerApp.password=''",`), "empty Jupyter token or password"},
		{"xsrf disabled", sub(`"--no-browser",`, `"--no-browser", "--ServerApp.disable_check_xsrf=True",`), "XSRF"},
		{"token baked in", appendLine(`ENV JUPYTER_TOKEN=secret`), "bakes a token"},
		{"empty JUPYTER_TOKEN in RUN", appendLine(`RUN JUPYTER_TOKEN= jupyter lab`), "empty JUPYTER_TOKEN"},
		{"install.sh not run", sub("bash kernel/install.sh", "true"), "kernel/install.sh"},
		{"no MNIST", sub("RUN bash scripts/fetch-mnist.sh", "RUN true"), "scripts/fetch-mnist.sh"},
		{"no simd", sub("GOEXPERIMENT=simd", "GOEXPERIMENT=none"), "GOEXPERIMENT=simd"},
		{"own JupyterLab pin", appendLine(`RUN pip install jupyterlab==4.0.0`), "names a Jupyter package version"},
		{"requirements not copied", sub("kernel/install.sh kernel/requirements.txt kernel/", "kernel/install.sh kernel/"), "kernel/requirements.txt is copied"},
		{"logo not copied", sub("kernel/logo/logo-svg.svg kernel/logo/", "kernel/logo/"), "kernel/logo/logo-svg.svg is copied"},
		{"FMA math on", sub("GODEBUG=cpu.fma=off", "GODEBUG=cpu.fma=on"), "GODEBUG=cpu.fma=off"},
		{"missing COPY source", appendLine(`COPY --chown=gofm:gofm no-such-file.txt ./`), "does not exist"},
		{"COPY from outside the context", appendLine(`COPY ../secrets ./`), "outside the build context"},
		{"ADD of a URL", appendLine(`ADD https://example.com/x.tar.gz /tmp/`), "not checksum-verified"},
		{"no EXPOSE", sub("EXPOSE 8888", "EXPOSE 9999"), "EXPOSE 8888"},
		{"healthcheck off", sub("HEALTHCHECK --interval=30s", "HEALTHCHECK NONE\nLABEL x=y\n#"), "HEALTHCHECK"},
		{"root at the end", appendLine("USER root"), "must not run as root"},
		{"no USER", sub("USER gofm\n", ""), "no USER"},
		{"localhost only", sub(`"--ip=0.0.0.0", `, ""), "0.0.0.0"},
		{"other port", sub(`"--port=8888"`, `"--port=9000"`), "port 8888"},
		{"no CMD", sub(`CMD ["jupyter"`, `LABEL x=["jupyter"`), "no CMD"},
		{"bootstrap Go cannot switch toolchains", sub("ARG GO_VERSION=", "ARG GO_VERSION=1.20.14\nARG UNUSED="), "must be 1.21 or newer"},
		{"bootstrap Go not a version", sub("ARG GO_VERSION=", "ARG GO_VERSION=latest\nARG UNUSED="), "not MAJOR.MINOR"},
		{"no bootstrap Go", sub("ARG GO_VERSION=", "ARG UNUSED="), "no ARG GO_VERSION"},
		{"GOTOOLCHAIN=local", sub("GOTOOLCHAIN=${GO_TOOLCHAIN}", "GOTOOLCHAIN=local"), "ENV GOTOOLCHAIN=local: " + fix},
		{"GOTOOLCHAIN differs from go.mod", sub("GOTOOLCHAIN=${GO_TOOLCHAIN}", "GOTOOLCHAIN="+other), "ENV GOTOOLCHAIN=" + other + ": " + fix},
		{"GO_TOOLCHAIN differs from go.mod", sub("ARG GO_TOOLCHAIN="+mod.Toolchain, "ARG GO_TOOLCHAIN="+other), "ENV GOTOOLCHAIN=${GO_TOOLCHAIN} is \"" + other + "\": set ARG GO_TOOLCHAIN=" + mod.Toolchain},
		{"no GOTOOLCHAIN", sub("GOTOOLCHAIN=${GO_TOOLCHAIN} \\\n", ""), "no ENV GOTOOLCHAIN in the final stage: " + fix},
		{"GOTOOLCHAIN only in another stage", sub("\nUSER gofm\n", "\nFROM scratch\nUSER gofm\n"), "no ENV GOTOOLCHAIN in the final stage"},
		{"toolchain not fetched", sub("    go version; \\\n", ""), "no RUN `go version`"},
		{"toolchain fetched as root", both(sub("\nUSER gofm\n", "\nUSER root\n"), appendLine("USER gofm")), "runs as root"},
		{"bad checksum", sub("ARG GO_SHA256_AMD64=", "ARG GO_SHA256_AMD64=abc\nARG UNUSED="), "not a SHA-256"},
		{"checksum not verified", sub("sha256sum -c", "sha256sum"), "sha256sum -c"},
		{"gonb pinned", appendLine("RUN go install github.com/janpfeifer/gonb@" + mod.GonbVersion), "gonb version"},
		{"gonb version repeated", appendLine("ARG GONB=" + mod.GonbVersion), "gonb version"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			broken := c.mutate(src)
			if broken == src {
				t.Fatal("the mutation changed nothing: the Dockerfile no longer has the text this case edits")
			}
			path := filepath.Join(t.TempDir(), "Dockerfile")
			if err := os.WriteFile(path, []byte(broken), 0o644); err != nil {
				t.Fatal(err)
			}
			df, err := parseFile(path, broken)
			if err != nil {
				t.Fatal(err)
			}
			probs := check(df, root, mod)
			for _, p := range probs {
				if strings.Contains(p, c.want) {
					return
				}
			}
			t.Errorf("no problem containing %q; got %q", c.want, probs)
		})
	}
}

// TestFinalEnv: ENV values are resolved through the final stage's ARGs and earlier
// ENVs as Docker does.
func TestFinalEnv(t *testing.T) {
	cases := []struct {
		name, src, want string
		set             bool
	}{
		{"literal", "FROM d\nENV G=go1.2.3\n", "go1.2.3", true},
		{"through an ARG", "FROM d\nARG T=go1.2.3\nENV G=${T}\n", "go1.2.3", true},
		{"bare $NAME", "FROM d\nARG T=go1.2.3\nENV A=1 G=$T\n", "go1.2.3", true},
		{"global ARG not redeclared", "ARG T=x\nFROM d\nENV G=${T}\n", "", true},
		{"global ARG redeclared", "ARG T=x\nFROM d\nARG T\nENV G=$T\n", "x", true},
		{"ENV wins over ARG", "FROM d\nARG T=a\nENV T=b\nARG T=c\nENV G=$T\n", "b", true},
		{"same instruction sees the old value", "FROM d\nENV T=a\nENV T=b G=$T\n", "a", true},
		{"default word", "FROM d\nENV G=${T:-z}\n", "z", true},
		{"last ENV wins", "FROM d\nENV G=a\nENV G=b\n", "b", true},
		{"earlier stage only", "FROM a\nENV G=1\nFROM b\nRUN true\n", "", false},
	}
	for _, c := range cases {
		df, err := parseFile(c.name, c.src)
		if err != nil {
			t.Fatal(err)
		}
		_, got, at := finalEnv(df, "G")
		if got != c.want || (at >= 0) != c.set {
			t.Errorf("%s: G = %q (set: %v), want %q (set: %v)", c.name, got, at >= 0, c.want, c.set)
		}
	}
}

// TestGoRulesAccept: the Go rules accept what they should: the oldest bootstrap Go
// that can switch toolchains, and GOTOOLCHAIN written directly or through an ARG.
func TestGoRulesAccept(t *testing.T) {
	mod, err := readModInfo(repoRoot(t))
	if err != nil {
		t.Fatal(err)
	}
	real, src := load(t, "Dockerfile")
	if v := real.Args["GO_TOOLCHAIN"]; v != mod.Toolchain {
		t.Errorf("ARG GO_TOOLCHAIN=%s, want go.mod's toolchain %s", v, mod.Toolchain)
	}
	for _, change := range [][2]string{
		{"ARG GO_VERSION=", "ARG GO_VERSION=1.21.0\nARG UNUSED="},
		{"ARG GO_VERSION=", "ARG GO_VERSION=1.21\nARG UNUSED="},
		{"GOTOOLCHAIN=${GO_TOOLCHAIN}", "GOTOOLCHAIN=" + mod.Toolchain},
		{"GOTOOLCHAIN=${GO_TOOLCHAIN}", "GOTOOLCHAIN=$GO_TOOLCHAIN"},
	} {
		edited := strings.Replace(src, change[0], change[1], 1)
		if edited == src {
			t.Fatalf("Dockerfile no longer contains %q", change[0])
		}
		df, err := parseFile("edited Dockerfile", edited)
		if err != nil {
			t.Fatal(err)
		}
		if probs := checkGo(df, mod, true); len(probs) > 0 {
			t.Errorf("%q -> %q: %q", change[0], change[1], probs)
		}
	}
}

// TestDockerignoreExcludesSource: a COPY of a path that .dockerignore excludes is an
// error (the build would fail with "not found"), in a small context made here.
func TestDockerignoreExcludesSource(t *testing.T) {
	root := t.TempDir()
	for _, f := range []string{"out/report.html", "keep.txt"} {
		p := filepath.Join(root, f)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(root, ".dockerignore"), []byte("# build outputs\nout/\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		copy    string
		wantBad bool
	}{
		{"COPY out/report.html /x", true},
		{"COPY keep.txt /x", false},
		{"COPY . /x", false}, // the whole context is fine: Docker leaves the ignored part out
	}
	for _, c := range cases {
		probs := checkCopy(instruction{Line: 1, Cmd: "COPY", Args: strings.TrimPrefix(c.copy, "COPY ")}, root, []string{"out"})
		if got := len(probs) > 0; got != c.wantBad {
			t.Errorf("%s: problems %q, want problem: %v", c.copy, probs, c.wantBad)
		}
	}
	pats, err := dockerignore(root)
	if err != nil || fmt.Sprint(pats) != "[out]" {
		t.Errorf("dockerignore(%s) = %v, %v; want [out]", root, pats, err)
	}
}

// TestRepoDockerignore: the repository's .dockerignore keeps build outputs, git
// history and test binaries out of the context.
func TestRepoDockerignore(t *testing.T) {
	pats, err := dockerignore(repoRoot(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"out/notebooks/01.html", ".git/config", "fmlib/ode/ode.test"} {
		if !ignored(p, pats) {
			t.Errorf(".dockerignore does not exclude %s (patterns %q)", p, pats)
		}
	}
	for _, p := range []string{"go.mod", "kernel/install.sh", "notebooks/01.ipynb", "docker/Dockerfile"} {
		if ignored(p, pats) {
			t.Errorf(".dockerignore excludes %s, which the image needs", p)
		}
	}
}

func Example_parseDockerfile() {
	insts, err := parseDockerfile(`# a comment
FROM debian:bookworm-slim
RUN apt-get update \
    # comments inside a continuation are dropped
 && apt-get install -y curl
CMD ["jupyter", "lab"]
`)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, in := range insts {
		fmt.Printf("%d %s %s\n", in.Line, in.Cmd, in.Args)
	}
	// Output:
	// 2 FROM debian:bookworm-slim
	// 3 RUN apt-get update && apt-get install -y curl
	// 6 CMD ["jupyter", "lab"]
}
