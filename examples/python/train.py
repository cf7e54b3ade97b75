"""Train a small PyTorch model on batches from goloader.DataLoader.

An MLP (one hidden tanh layer, Adam) predicts a stock's next-day log return
from the last 20 days of log returns and volumes, z-scored per symbol with
training statistics only; trained up to 2019-12-31, validated on 2020-2022
after a 5-day embargo. It is examples/train in PyTorch.

    go run ./cmd/loader fetch --symbols AAPL,GOOGL,MSFT --out data
    make python
    PYTHONPATH=python python3 examples/python/train.py --in data

Under torchrun every process trains on its own share (RANK and WORLD_SIZE);
wrap the model in DistributedDataParallel to average the gradients.
"""
import argparse
import time

import torch

import goloader


def evaluate(model, loader):
    """The mean squared error over loader's epoch, and that of predicting
    the mean target of the epoch."""
    sq = n = 0.0
    ys = []
    with torch.no_grad():
        for x, y in loader:
            y = y * 100  # returns in percent: losses read as %²
            sq += float(((model(x.flatten(1)) - y) ** 2).sum())
            n += y.numel()
            ys.append(y)
    y = torch.cat(ys)
    return sq / n, float(((y - y.mean()) ** 2).mean())


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--in", dest="path", default="data", help="directory of files loader fetch wrote")
    p.add_argument("--epochs", type=int, default=8)
    p.add_argument("--window", type=int, default=20)
    p.add_argument("--hidden", type=int, default=16)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--train-end", default="2019-12-31")
    p.add_argument("--val-end", default="2022-12-31")
    a = p.parse_args()

    data = goloader.Dataset(a.path, features=["log_return", "volume"], target="log_return",
                            train_end=a.train_end, val_end=a.val_end, embargo=5, normalize=True)
    train = goloader.DataLoader(data, split="train", window=a.window, batch_size=64, shuffle=True, seed=1)
    val = goloader.DataLoader(data, split="val", window=a.window, batch_size=512)
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(a.window * 2, a.hidden), torch.nn.Tanh(),
                                torch.nn.Linear(a.hidden, 1))
    opt = torch.optim.Adam(model.parameters(), lr=a.lr)
    print(f"{len(data.symbols)} symbols; train {train.samples} windows in {len(train)} batches, "
          f"val {val.samples} windows; MLP {a.window * 2}→{a.hidden}→1, loss MSE in %²")

    train_loss, _ = evaluate(model, train)
    val_loss, baseline = evaluate(model, val)
    print(f"untrained train loss {train_loss:.4f}  val loss {val_loss:.4f} (predict-the-mean {baseline:.4f})")
    for epoch in range(1, a.epochs + 1):
        train.set_epoch(epoch)  # as with DistributedSampler; iterating again would do the same
        start, total, batches = time.perf_counter(), 0.0, 0
        for x, y in train:
            loss = torch.nn.functional.mse_loss(model(x.flatten(1)), y * 100)
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item()
            batches += 1
        val_loss, baseline = evaluate(model, val)
        print(f"epoch {epoch}  train loss {total / batches:.4f}  val loss {val_loss:.4f} "
              f"(predict-the-mean {baseline:.4f})  {time.perf_counter() - start:.2f}s")


if __name__ == "__main__":
    main()
