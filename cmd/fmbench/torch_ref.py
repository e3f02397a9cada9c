"""PyTorch reference for cmd/fmbench (our own code).

Builds the same network and training step as the Go benchmark:

  * MLP f(x, t): input [x, e(t)] with the sinusoidal time embedding
    e(t) = [sin(w_k t)..., cos(w_k t)...], w_k log-spaced from --min-freq to
    --max-freq (K = --embed / 2 frequencies), hidden layers --hidden with
    activation --act, linear output of the input dimension (2);
  * CFM loss on the CondOT path: t ~ U[1e-5, 1-1e-5), x0 ~ N(0, I),
    x_t = t x1 + (1 - (1 - sigma_min) t) x0, target x1 - (1 - sigma_min) x0,
    loss = mean((f(x_t, t) - target)^2); Adam (lr --lr, eps 1e-7 as GoMLX).

It runs in one process with --threads intra-op threads, and answers
requests on stdin, one per line, with one number (seconds) on stdout:

  train N    run N training steps, print mean seconds per step
  forward N  run N forward passes (no grad) on --points 2D points, print
             mean seconds per pass
  quit

The first line printed is "ready <description>", after a warm-up.
"""

import argparse
import math
import sys
import time

import torch


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--points", type=int, default=10000)
    ap.add_argument("--hidden", default="256,256,256")
    ap.add_argument("--act", default="silu")
    ap.add_argument("--embed", type=int, default=64)
    ap.add_argument("--min-freq", type=float, default=1.0)
    ap.add_argument("--max-freq", type=float, default=100.0)
    ap.add_argument("--sigma-min", type=float, default=0.01)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--threads", type=int, default=1)
    a = ap.parse_args()

    torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    dim = 2
    k = a.embed // 2
    if k == 1:
        freqs = torch.tensor([a.min_freq])
    else:
        freqs = torch.tensor([a.min_freq * (a.max_freq / a.min_freq) ** (i / (k - 1)) for i in range(k)])

    acts = {
        "silu": torch.nn.SiLU,
        "relu": torch.nn.ReLU,
        "gelu": torch.nn.GELU,
        "tanh": torch.nn.Tanh,
        "selu": torch.nn.SELU,
    }
    widths = [dim + a.embed] + [int(w) for w in a.hidden.split(",") if w]
    layers = []
    for i in range(len(widths) - 1):
        layers += [torch.nn.Linear(widths[i], widths[i + 1]), acts[a.act]()]
    layers.append(torch.nn.Linear(widths[-1], dim))
    net = torch.nn.Sequential(*layers)
    opt = torch.optim.Adam(net.parameters(), lr=a.lr, eps=1e-7)

    def embed(t):
        arg = t[:, None] * freqs[None, :]
        return torch.cat([torch.sin(arg), torch.cos(arg)], dim=1)

    def f(x, t):
        return net(torch.cat([x, embed(t)], dim=1))

    # Data pool: two Gaussian blobs at (+-2, 0), std 0.2 (as the Go side).
    n_pool = 4096
    centers = torch.tensor([[-2.0, 0.0], [2.0, 0.0]]).repeat(n_pool // 2, 1)
    pool = centers + 0.2 * torch.randn(n_pool, dim)
    eps = 1e-5
    smin = a.sigma_min

    def train_step():
        idx = torch.randint(0, n_pool, (a.batch,))
        x1 = pool[idx]
        x0 = torch.randn(a.batch, dim)
        t = eps + (1 - 2 * eps) * torch.rand(a.batch)
        xt = t[:, None] * x1 + (1 - (1 - smin) * t[:, None]) * x0
        target = x1 - (1 - smin) * x0
        loss = ((f(xt, t) - target) ** 2).mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        return loss

    xs = torch.randn(a.points, dim)
    tf = torch.full((a.points,), 0.5)

    def forward():
        with torch.no_grad():
            return f(xs, tf)

    for _ in range(5):
        train_step()
    for _ in range(2):
        forward()
    n_params = sum(p.numel() for p in net.parameters())
    print(f"ready torch {torch.__version__}, {torch.get_num_threads()} threads, {n_params} parameters", flush=True)

    for line in sys.stdin:
        parts = line.split()
        if not parts:
            continue
        if parts[0] == "quit":
            break
        n = int(parts[1]) if len(parts) > 1 else 1
        fn = train_step if parts[0] == "train" else forward
        start = time.perf_counter()
        for _ in range(n):
            out = fn()
        _ = float(out.reshape(-1)[0])  # make sure the work is done
        print(f"{(time.perf_counter() - start) / n:.9f}", flush=True)


if __name__ == "__main__":
    main()
