"""PyTorch reference for cmd/fmbench (our own code).

Builds the same networks and training step as the Go benchmark:

  * --net mlp: MLP f(x, t) on 2D points: input [x, e(t)] with the sinusoidal
    time embedding e(t) = [sin(w_k t)..., cos(w_k t)...], w_k log-spaced
    from --min-freq to --max-freq (K = --embed / 2 frequencies), hidden
    layers --hidden with activation --act, linear output of width 2
    (models.MLP).
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

It answers requests on stdin, one per line, with one number (seconds) on
stdout:

  train N    run N training steps, print mean seconds per step
  forward N  run N forward passes (no grad) on --points rows, print mean
             seconds per pass
  quit

The first line printed is "ready <parameters> <description>", after a
warm-up.
"""

import argparse
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
        self.net = nn.Sequential(*layers)

    def forward(self, x, t):
        return self.net(torch.cat([x, self.embed(t)], dim=1))


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
    tf = torch.full((a.points,), 0.5, device=dev)

    def forward():
        with torch.no_grad():
            out = net(xs, tf)
        return float(out.reshape(-1)[0])  # waits for the device and copies back

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
        fn = train_step if parts[0] == "train" else forward
        start = time.perf_counter()
        for _ in range(n):
            fn()
        print(f"{(time.perf_counter() - start) / n:.9f}", flush=True)


if __name__ == "__main__":
    main()
