"""Train on a dataset in S3 with torchrun: every process reads its share.

    torchrun --nnodes 2 --nproc-per-node 2 --rdzv-backend c10d --rdzv-endpoint HOST:29400 \\
        examples/cluster/train.py --data s3://prices/daily --epochs 3

torchrun sets RANK and WORLD_SIZE; goloader.DataLoader reads them and gives
each rank a disjoint share of every epoch with the same number of batches, so
DistributedDataParallel's collective calls line up. The AWS credentials,
region and endpoint come from the same environment variables as for the
loader command (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION,
AWS_ENDPOINT_URL, ...).
"""
import argparse
import os

import torch
import torch.distributed as dist

import goloader


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--data", default="s3://prices/daily")
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--window", type=int, default=32)
    p.add_argument("--batch-size", type=int, default=256)
    args = p.parse_args()

    dist.init_process_group("gloo")  # "nccl" on GPUs
    rank, world = dist.get_rank(), dist.get_world_size()

    features = ["log_return", "volume"]
    loader = goloader.DataLoader(args.data, features=features, target="log_return", normalize=True,
                                 train_end="2022-12-31", window=args.window, batch_size=args.batch_size,
                                 shuffle=True, seed=1, drop_last=True)
    model = torch.nn.parallel.DistributedDataParallel(
        torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(args.window * len(features), 32),
                            torch.nn.ReLU(), torch.nn.Linear(32, 1)))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)

    for epoch in range(args.epochs):
        loader.set_epoch(epoch)
        total, batches = 0.0, 0
        for x, y in loader:
            opt.zero_grad()
            loss = torch.nn.functional.mse_loss(model(x), y)
            loss.backward()
            opt.step()
            total, batches = total + loss.item(), batches + 1
        print(f"rank {rank}/{world} epoch {epoch}: {batches} batches, loss {total / max(batches, 1):.6f}", flush=True)

    dist.destroy_process_group()


if __name__ == "__main__":
    main()
