// Package docker holds the project's container images and the static checks that
// keep them honest. It has no library code: its tests are the point.
//
// The images (see README.md in this folder):
//
//   - Dockerfile: Debian 12 (bookworm), Go from the official tarball (version and
//     SHA-256 pinned by build arguments), JupyterLab in a Python virtual environment,
//     the "Go (gofm)" kernel installed by kernel/install.sh (the one install path the
//     top-level README uses), GOEXPERIMENT=simd, a warmed build cache, the
//     notebooks at /home/gofm/gofm/notebooks, a non-root user, token authentication,
//     port 8888 and a HEALTHCHECK.
//   - Dockerfile.cuda: the same on NVIDIA's CUDA 13 base image (Ubuntu 24.04, since
//     NVIDIA publishes no Debian one), plus jax's PJRT CUDA plugin and the CUDA /
//     cuDNN pip wheels, with the environment fmlib/backend needs to find them.
//
// No Docker engine runs on the project's machines, so the tests cannot build the
// images. Instead they parse each Dockerfile with a small line-based parser
// (comments, continuation lines, JSON and shell forms; heredocs are rejected rather
// than misread) and check what a build would otherwise only reveal late, or never:
//
//   - every COPY/ADD source exists in the build context (the repository root) and is
//     not excluded by .dockerignore; no ADD of a URL (it would skip verification);
//   - the kernel is installed by running kernel/install.sh, with GOFM_JUPYTERLAB=1;
//   - GOEXPERIMENT=simd is set in the image's environment;
//   - token authentication is never turned off (no empty token or password, no
//     disable_check_xsrf) and no token is baked into the image;
//   - port 8888 is exposed, a HEALTHCHECK probes it, and the server command binds
//     0.0.0.0:8888 so the published port reaches it;
//   - the final USER is not root;
//   - the bootstrap Go (ARG GO_VERSION) is 1.21 or newer, each pinned checksum is
//     64 hex digits, and its download is checked with sha256sum; the final stage's
//     ENV GOTOOLCHAIN (ARGs resolved) equals go.mod's toolchain line, and a
//     `go version` step fetches that Go as the notebook user before kernel/install.sh;
//   - the gonb version is not written in the Dockerfile (it comes from go.mod
//     through install.sh).
//
// Dockerfile.cuda must contain every instruction of Dockerfile in the same order
// (only the base image differs), so the two cannot drift apart, and its
// environment must let fmlib/backend.FindPlugin find the plugin where pip puts it.
// The tests also feed small broken Dockerfiles to the checks and require each
// breakage to be reported, so the checks themselves can fail.
package docker
