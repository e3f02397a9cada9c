"""PyTorch reference for cmd/fmbench (our own code).

Builds the same networks and training step as the Go benchmark:

  * --net mlp: MLP f(x, t) on 2D points: input [x, e(t)] with the sinusoidal
    time embedding e(t) = [sin(w_k t)..., cos(w_k t)...], w_k log-spaced
    from --min-freq to --max-freq (K = --embed / 2 frequencies), hidden
    layers --hidden with activation --act, linear output of width 2
    (models.MLP). Weights start He-normal (std sqrt(2 / fan_in)) with zero
    biases, GoMLX's default initializer, so that the untrained fields of
    both sides have the same scale (the solve's steps depend on it). Given
    one time t for the whole batch (a scalar, as the forward pass and the
    ODE solver pass it), it embeds t once and folds the embedding into the
    first layer's bias, [x, e(t)] W + b = x W_x + (e(t) W_e + b): the same
    algorithm as models.MLP with a scalar t. Training passes one time per
    row and takes the concatenation path, as the Go trainer does.
  * --net unet: the U-Net of models.UNet on --height x --width x --channels
    images given as rows of channels-last pixels: space-to-depth by --patch,
    a 3x3 input convolution to --base channels, per level (widths --base
    times --mult) --res-blocks pre-activation residual blocks
    (GroupNorm(--groups), SiLU, 3x3 convolutions, the time conditioning
    added before the second normalisation, a 1x1 skip without bias when the
    width changes), 2x2 average pooling between levels, a middle block, the
    mirror path with skip concatenations and nearest 2x upsampling followed
    by a 3x3 convolution, then GroupNorm, SiLU and a zero-initialised 3x3
    output convolution. The time MLP is embed -> Linear(--time-hidden) ->
    SiLU -> Linear -> SiLU, projected per block.
  * CFM loss on the CondOT path: t ~ U[1e-5, 1-1e-5), x0 ~ N(0, I),
    x_t = t x1 + (1 - (1 - sigma_min) t) x0, target x1 - (1 - sigma_min) x0,
    loss = mean((f(x_t, t) - target)^2); Adam (lr --lr, eps 1e-7 as GoMLX).

It runs on --device (cpu or cuda) with --threads intra-op threads. Data
batches are drawn on the host and copied to the device every step, noise
and times are drawn on the device, and the loss is read back after every
step: what the Go side does. --tf32 1 lets matrix products use TF32 on the
GPU (XLA's default in go-xla); cuDNN convolutions keep PyTorch's default
(TF32 allowed), as XLA's do.

It answers requests on stdin, one per line, on one line of stdout:

  train N    run N training steps, print mean seconds per step
  forward N  run N forward passes (no grad) on --points rows at t = 0.5,
             print mean seconds per pass
  solve N    (--net mlp) run N Dopri5 sampling solves of --points rows from
             t = 0 to 1 at atol = rtol = --tol, print "<mean seconds per
             solve> <NFE> <accepted steps> <rejected steps>" (the counts of
             the last solve)
  quit

The solve (dopri5 below) is our own implementation of Dormand-Prince 5(4)
with the initial-step heuristic, error norm and PI step-size controller of
fmlib/ode (same constants, same NFE count), written from the formulas in
fmlib/ode's package documentation (Hairer, Norsett & Wanner, Solving ODEs I,
II.4-II.5), so that both sides run the same algorithm and take comparable
steps. Its start is the Go side's: x0[i] = (i mod 7) / 7 - 0.5 over the
flattened [points, 2] array.

The first line printed is "ready <parameters> <description>", after a
warm-up.
"""

import argparse
import math
import sys
import time

import torch
import torch.nn.functional as F
from torch import nn


def frequencies(k, min_freq, max_freq):
    if k == 1:
        return torch.tensor([min_freq])
    return torch.tensor([min_freq * (max_freq / min_freq) ** (i / (k - 1)) for i in range(k)])


class TimeEmbedding(nn.Module):
    def __init__(self, dim, min_freq, max_freq):
        super().__init__()
        self.register_buffer("freqs", frequencies(dim // 2, min_freq, max_freq))

    def forward(self, t):
        arg = t[:, None] * self.freqs[None, :]
        return torch.cat([torch.sin(arg), torch.cos(arg)], dim=1)


ACTS = {"silu": nn.SiLU, "relu": nn.ReLU, "gelu": nn.GELU, "tanh": nn.Tanh, "selu": nn.SELU}


class MLP(nn.Module):
    def __init__(self, dim, hidden, act, embed, min_freq, max_freq):
        super().__init__()
        self.embed = TimeEmbedding(embed, min_freq, max_freq)
        widths = [dim + embed] + hidden
        layers = []
        for i in range(len(widths) - 1):
            layers += [nn.Linear(widths[i], widths[i + 1]), ACTS[act]()]
        layers.append(nn.Linear(widths[-1], dim))
        for layer in layers:
            if isinstance(layer, nn.Linear):  # GoMLX's default: He-normal, zero bias
                nn.init.normal_(layer.weight, std=math.sqrt(2.0 / layer.in_features))
                nn.init.zeros_(layer.bias)
        self.net = nn.Sequential(*layers)

    def forward(self, x, t):
        if t.dim() == 0:
            # One time for the batch: embed it once and fold it into the
            # first layer's bias (models.MLP does the same with a scalar t).
            first, d = self.net[0], x.shape[1]
            emb = self.embed(t.reshape(1))[0]
            h = F.linear(x, first.weight[:, :d], first.bias + first.weight[:, d:] @ emb)
            return self.net[1:](h)
        return self.net(torch.cat([x, self.embed(t)], dim=1))


# Dormand-Prince 5(4) coefficients (Dormand & Prince 1980): stage i evaluates
# k_i = f(t + C[i] h, x + h sum_j A[i][j] k_j); the 5th-order solution is the
# input of stage 7 (its weights are A[6]), so k_7 is the next step's k_1
# (FSAL). E = b - b*, the 5th- minus the embedded 4th-order weights.
DP_C = (0.0, 1 / 5, 3 / 10, 4 / 5, 8 / 9, 1.0, 1.0)
DP_A = (
    (),
    (1 / 5,),
    (3 / 40, 9 / 40),
    (44 / 45, -56 / 15, 32 / 9),
    (19372 / 6561, -25360 / 2187, 64448 / 6561, -212 / 729),
    (9017 / 3168, -355 / 33, 46732 / 5247, 49 / 176, -5103 / 18656),
    (35 / 384, 0.0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84),
)
DP_E = (
    35 / 384 - 5179 / 57600,
    0.0,
    500 / 1113 - 7571 / 16695,
    125 / 192 - 393 / 640,
    -2187 / 6784 + 92097 / 339200,
    11 / 84 - 187 / 2100,
    -1 / 40,
)
# fmlib/ode's PI controller (the zero ode.Controller): after an accepted step
# h *= clamp(SAFETY E^-ALPHA E_prev^BETA, MIN_FACTOR, MAX_FACTOR), capped at 1
# when the step before was rejected; after a rejected one
# h *= min(1, max(MIN_FACTOR, SAFETY E^-ALPHA)).
SAFETY, PI_BETA = 0.9, 0.04
PI_ALPHA = 0.2 - 0.75 * PI_BETA
MIN_FACTOR, MAX_FACTOR = 0.2, 10.0
MAX_STEPS, MIN_STEP_FRACTION, MAX_NON_FINITE = 10000, 1e-12, 8


def weighted(ks, ws):
    """sum_j ws[j] ks[j] over the nonzero weights (None when all are zero)."""
    acc = None
    for k, w in zip(ks, ws):
        if w != 0:
            acc = k * w if acc is None else acc.add_(k, alpha=w)
    return acc


def rms(v, sc):
    """sqrt(mean((v / sc)^2)) over all elements, read back as a Python float."""
    return float(torch.sqrt(torch.mean(torch.square(v / sc))))


def dopri5(f, x0, t0, t1, atol, rtol):
    """Integrates dx/dt = f(t, x) from t0 to t1; returns (x, nfe, accepted, rejected).

    NFE: 1 (k1) + 1 (the initial-step probe) + 6 per attempted step, as in
    fmlib/ode. One scalar (the error norm) is read back per step, as there.
    """
    direction = 1.0 if t1 > t0 else -1.0
    span = abs(t1 - t0)
    min_step = MIN_STEP_FRACTION * span
    k1 = f(t0, x0)
    nfe = 1
    # Initial step (Hairer, Norsett & Wanner II.4): h0 from |x0| and |f0|,
    # h1 from a second-derivative estimate, h = min(100 h0, h1, span).
    sc = atol + rtol * x0.abs()
    d0, d1 = rms(x0, sc), rms(k1, sc)
    h0 = 0.01 * d0 / d1 if d0 >= 1e-5 and d1 >= 1e-5 else 1e-6
    h0 = min(h0, span)
    f1 = f(t0 + direction * h0, x0 + (direction * h0) * k1)
    nfe += 1
    d2 = rms(f1 - k1, sc) / h0
    m = max(d1, d2)
    if not math.isfinite(m):
        h1 = h0
    elif m <= 1e-15:
        h1 = max(1e-6, h0 * 1e-3)
    else:
        h1 = (0.01 / m) ** (1 / 5)
    h = max(min(100 * h0, h1, span), min_step)

    x, t, err_prev = x0, t0, 1e-4
    accepted = rejected = non_finite = 0
    was_rejected = False  # the last attempt was rejected: the next accepted step may not grow
    while True:
        if accepted + rejected >= MAX_STEPS:
            raise RuntimeError(f"dopri5: MAX_STEPS={MAX_STEPS} reached at t={t}")
        remaining = abs(t1 - t)
        hh, last = h, False
        if hh >= remaining * (1 - 1e-9) or remaining - hh < 0.01 * hh:
            hh, last = remaining, True  # land on t1; absorb a sliver < 1% of h
        hs = direction * hh
        k = [k1]
        for i in range(1, 7):
            xi = x.add(weighted(k, DP_A[i]), alpha=hs)
            k.append(f(t + DP_C[i] * hs, xi))
        nfe += 6
        x_new = xi  # the 5th-order solution, stage 7's input
        sc = atol + rtol * torch.maximum(x.abs(), x_new.abs())
        e = rms(weighted(k, DP_E).mul_(hs), sc)
        if not math.isfinite(e):
            rejected += 1
            non_finite += 1
            was_rejected = True
            h = hh * MIN_FACTOR
            if non_finite >= MAX_NON_FINITE or h < min_step:
                raise RuntimeError(f"dopri5: NaN/Inf error estimate in the step from t={t}")
            continue
        non_finite = 0
        if e <= 1:
            accepted += 1
            x, k1 = x_new, k[6]
            t = t1 if last else t + hs
            if last:
                return x, nfe, accepted, rejected
            fac = SAFETY * e ** -PI_ALPHA * err_prev ** PI_BETA if e > 0 else MAX_FACTOR
            fac = min(MAX_FACTOR, max(MIN_FACTOR, fac))
            if was_rejected:
                fac = min(1.0, fac)
            err_prev = max(e, 1e-4)
            was_rejected = False
            h = hh * fac
        else:
            rejected += 1
            was_rejected = True
            h = hh * min(1.0, max(MIN_FACTOR, SAFETY * e ** -PI_ALPHA))
        if h < min_step:
            raise RuntimeError(f"dopri5: step size {h} below MIN_STEP={min_step} at t={t}")


def conv3(a, b):
    return nn.Conv2d(a, b, 3, padding=1)


class ResBlock(nn.Module):
    def __init__(self, a, b, tdim, groups):
        super().__init__()
        self.norm0 = nn.GroupNorm(groups, a, eps=1e-5)
        self.conv0 = conv3(a, b)
        self.proj = nn.Linear(tdim, b)
        self.norm1 = nn.GroupNorm(groups, b, eps=1e-5)
        self.conv1 = conv3(b, b)
        self.skip = nn.Conv2d(a, b, 1, bias=False) if a != b else nn.Identity()

    def forward(self, x, e):
        h = self.conv0(F.silu(self.norm0(x)))
        h = h + self.proj(e)[:, :, None, None]
        h = self.conv1(F.silu(self.norm1(h)))
        return self.skip(x) + h


class UNet(nn.Module):
    def __init__(self, a):
        super().__init__()
        self.h, self.w, self.c, self.p = a.height, a.width, a.channels, a.patch
        in_ch = a.channels * a.patch * a.patch
        levels = [a.base * int(m) for m in a.mult.split(",")]
        self.levels, self.res_blocks = levels, a.res_blocks
        self.embed = TimeEmbedding(a.embed, a.min_freq, a.max_freq)
        self.time = nn.Sequential(nn.Linear(a.embed, a.time_hidden), nn.SiLU(),
                                  nn.Linear(a.time_hidden, a.time_hidden), nn.SiLU())
        self.inp = conv3(in_ch, levels[0])
        ch = levels[0]
        self.down = nn.ModuleList()
        for lc in levels:
            for _ in range(a.res_blocks):
                self.down.append(ResBlock(ch, lc, a.time_hidden, a.groups))
                ch = lc
        self.mid = ResBlock(ch, ch, a.time_hidden, a.groups)
        self.up = nn.ModuleList()
        self.upconv = nn.ModuleList()
        for li in reversed(range(len(levels))):
            lc = levels[li]
            ch += lc  # the concatenated skip
            for _ in range(a.res_blocks):
                self.up.append(ResBlock(ch, lc, a.time_hidden, a.groups))
                ch = lc
            if li > 0:
                self.upconv.append(conv3(ch, levels[li - 1]))
                ch = levels[li - 1]
        self.out_norm = nn.GroupNorm(a.groups, ch, eps=1e-5)
        self.out = conv3(ch, in_ch)
        nn.init.zeros_(self.out.weight)
        nn.init.zeros_(self.out.bias)

    def patchify(self, x):
        # [B, H*W*C] -> [B, p*p*C, H/p, W/p], channel (py*p + px)*C + c as in Go.
        b, p = x.shape[0], self.p
        x = x.reshape(b, self.h // p, p, self.w // p, p, self.c)
        return x.permute(0, 2, 4, 5, 1, 3).reshape(b, p * p * self.c, self.h // p, self.w // p)

    def unpatchify(self, y):
        b, p = y.shape[0], self.p
        y = y.reshape(b, p, p, self.c, self.h // p, self.w // p)
        return y.permute(0, 4, 1, 5, 2, 3).reshape(b, self.h * self.w * self.c)

    def forward(self, x, t):
        e = self.time(self.embed(t))
        h = self.inp(self.patchify(x))
        skips, k = [], 0
        for li in range(len(self.levels)):
            for _ in range(self.res_blocks):
                h = self.down[k](h, e)
                k += 1
            skips.append(h)
            if li + 1 < len(self.levels):
                h = F.avg_pool2d(h, 2)
        h = self.mid(h, e)
        k = u = 0
        for li in reversed(range(len(self.levels))):
            h = torch.cat([h, skips.pop()], dim=1)
            for _ in range(self.res_blocks):
                h = self.up[k](h, e)
                k += 1
            if li > 0:
                h = self.upconv[u](F.interpolate(h, scale_factor=2, mode="nearest"))
                u += 1
        return self.unpatchify(self.out(F.silu(self.out_norm(h))))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--net", default="mlp", choices=["mlp", "unet"])
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--tf32", type=int, default=1)
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--points", type=int, default=10000)
    ap.add_argument("--hidden", default="256,256,256")
    ap.add_argument("--act", default="silu")
    ap.add_argument("--embed", type=int, default=64)
    ap.add_argument("--min-freq", type=float, default=1.0)
    ap.add_argument("--max-freq", type=float, default=100.0)
    ap.add_argument("--height", type=int, default=28)
    ap.add_argument("--width", type=int, default=28)
    ap.add_argument("--channels", type=int, default=1)
    ap.add_argument("--patch", type=int, default=2)
    ap.add_argument("--base", type=int, default=32)
    ap.add_argument("--mult", default="1,2")
    ap.add_argument("--res-blocks", type=int, default=1)
    ap.add_argument("--groups", type=int, default=8)
    ap.add_argument("--time-hidden", type=int, default=128)
    ap.add_argument("--sigma-min", type=float, default=0.01)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--tol", type=float, default=1e-5)
    a = ap.parse_args()

    torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    dev = torch.device(a.device)
    cuda = dev.type == "cuda"
    if cuda:
        torch.backends.cuda.matmul.allow_tf32 = bool(a.tf32)

    if a.net == "mlp":
        dim = 2
        net = MLP(dim, [int(w) for w in a.hidden.split(",") if w], a.act, a.embed, a.min_freq, a.max_freq)
        # Data pool: two Gaussian blobs at (+-2, 0), std 0.2 (as the Go side).
        n_pool = 4096
        centers = torch.tensor([[-2.0, 0.0], [2.0, 0.0]]).repeat(n_pool // 2, 1)
        pool = centers + 0.2 * torch.randn(n_pool, dim)
    else:
        dim = a.height * a.width * a.channels
        net = UNet(a)
        # 256 images uniform in [-1, 1] (as the Go side: content does not matter).
        n_pool = 256
        pool = 2 * torch.rand(n_pool, dim) - 1
    net = net.to(dev)
    opt = torch.optim.Adam(net.parameters(), lr=a.lr, eps=1e-7)
    eps = 1e-5
    smin = a.sigma_min

    def train_step():
        idx = torch.randint(0, n_pool, (a.batch,))
        x1 = pool[idx].to(dev)
        x0 = torch.randn(a.batch, dim, device=dev)
        t = eps + (1 - 2 * eps) * torch.rand(a.batch, device=dev)
        xt = t[:, None] * x1 + (1 - (1 - smin) * t[:, None]) * x0
        target = x1 - (1 - smin) * x0
        loss = ((net(xt, t) - target) ** 2).mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        return loss.item()  # read back every step, as the Go trainer does

    xs = torch.randn(a.points, dim, device=dev)
    tf = torch.tensor(0.5, device=dev)  # one time for the batch, as the Go side

    def forward():
        with torch.no_grad():
            out = net(xs, tf)
        return float(out.reshape(-1)[0])  # waits for the device and copies back

    # The solve's start (the MLP only), as the Go side's (sample.go).
    if a.net == "mlp":
        x0 = ((torch.arange(dim * a.points) % 7).float() / 7 - 0.5).reshape(a.points, dim).to(dev)
    last_solve = (0, 0, 0)

    def field(t, x):
        return net(x, torch.tensor(t, dtype=torch.float32, device=dev))

    def solve():
        nonlocal last_solve
        with torch.inference_mode():
            _, nfe, acc, rej = dopri5(field, x0, 0.0, 1.0, a.tol, a.tol)
        last_solve = (nfe, acc, rej)

    for _ in range(5):
        train_step()
    if a.net == "mlp":
        for _ in range(2):
            forward()
    n_params = sum(p.numel() for p in net.parameters())
    where = f"cuda ({torch.cuda.get_device_name(dev)}, TF32 matmul {'on' if a.tf32 else 'off'})" if cuda else "cpu"
    print(f"ready {n_params} torch {torch.__version__} on {where}, {torch.get_num_threads()} threads, {n_params} parameters", flush=True)

    for line in sys.stdin:
        parts = line.split()
        if not parts:
            continue
        if parts[0] == "quit":
            break
        n = int(parts[1]) if len(parts) > 1 else 1
        fn = {"train": train_step, "forward": forward, "solve": solve}.get(parts[0])
        if fn is None or (fn is solve and a.net != "mlp"):
            print(f"error: unknown request {line.strip()!r} for --net {a.net}", flush=True)
            continue
        start = time.perf_counter()
        for _ in range(n):
            fn()
        sec = (time.perf_counter() - start) / n
        if fn is solve:
            print(f"{sec:.9f} {last_solve[0]} {last_solve[1]} {last_solve[2]}", flush=True)
        else:
            print(f"{sec:.9f}", flush=True)


if __name__ == "__main__":
    main()
