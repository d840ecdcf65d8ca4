"""Several processes under `torchrun`: the model and the reference are sharded with FSDP2
(`torch.distributed.fsdp.fully_shard`, one unit per decoder layer plus the root), on NCCL for
CUDA devices and gloo for CPUs.

Rank 0 reads the requests and broadcasts each one; every rank handles it; rank 0 answers.
Generation and log-probs are replicated (every rank computes every row, the same seeds give
the same tokens); a train step is data-parallel: micro-batch i goes to rank i mod world, a rank
short of micro-batches runs a zero-weight one so the collectives stay in step, and the losses
are scaled by the world size because FSDP averages gradients over ranks."""

import datetime
import os
import sys

import torch


def world_size():
    return int(os.environ.get("WORLD_SIZE", "1"))


def active():
    return torch.distributed.is_available() and torch.distributed.is_initialized()


def rank():
    return torch.distributed.get_rank() if active() else 0


def init(device_type):
    """Joins the process group torchrun describes; returns this process's device."""
    if not active():
        # gloo carries CPU tensors (the request lines, CPU models); NCCL CUDA ones.
        backend = "cpu:gloo,cuda:nccl" if torch.cuda.is_available() else "gloo"
        torch.distributed.init_process_group(backend)
    if device_type == "cuda":
        local = int(os.environ.get("LOCAL_RANK", "0"))
        torch.cuda.set_device(local)
        return torch.device("cuda", local)
    return torch.device("cpu")


# How long a rank waits at the end for the others. They get there together (the last line
# broadcast is the end for every rank), so this only bounds the wait for one that is gone.
EXIT_BARRIER_TIMEOUT = datetime.timedelta(seconds=60)


def exit_after_serving():
    """Ends this rank after a clean end of serving (end of input or `shutdown`, which every
    rank sees together): a barrier, the process group destroyed, then exit 0. Never after an
    error: a rank that failed exits non-zero at once (torchrun then ends the others and fails),
    it must not meet its peers in a collective they are not in.

    Why: gloo's worker threads drop the last reference to a finished collective's tensors
    after `wait()` has returned. `broadcast_object_list` made those tensors in Python, so
    freeing them takes the GIL; when the interpreter is already finalising, CPython ends such
    a thread with pthread_exit, whose unwinding through a noexcept destructor calls
    std::terminate: "terminate called without an active exception", SIGABRT, after every
    answer was written. `destroy_process_group` would join those threads, but it only drops
    torch's registry: FSDP2's DeviceMesh (kept alive by DTensor caches) still holds the
    group, so its threads live on. Hence `os._exit`: no interpreter finalisation at all.

    The barrier: no rank closes its connections while a peer is still in the last
    collective. monitored_barrier has its own timeout, so a peer that is gone makes it raise
    (a non-zero exit) instead of waiting; the group's timeout cannot be shortened for this, as
    it also bounds how long a rank waits in `broadcast` for rank 0's next request."""
    if active():
        torch.distributed.monitored_barrier(timeout=EXIT_BARRIER_TIMEOUT)
        torch.distributed.destroy_process_group()
    # os._exit skips Python's flushing; answers were flushed one by one, logs are flushed here.
    for stream in (sys.stdout, sys.stderr, sys.__stdout__):
        stream.flush()
    os._exit(0)


def decoder_layers(model):
    """The repeated blocks to shard one by one (Llama, Qwen2 and their kin keep them in
    `model.layers`)."""
    inner = getattr(model, "model", None)
    layers = getattr(inner, "layers", None)
    if layers is None:
        raise ValueError(f"{type(model).__name__}: no decoder layers found to shard")
    return list(layers)


def shard(model):
    from torch.distributed.fsdp import fully_shard

    for layer in decoder_layers(model):
        fully_shard(layer)
    fully_shard(model)
    return model


def broadcast(obj):
    """Rank 0's object, on every rank."""
    box = [obj]
    torch.distributed.broadcast_object_list(box, src=0)
    return box[0]


def all_true(flag, device):
    """True on every rank when `flag` is true on every rank."""
    t = torch.tensor([1 if flag else 0], device=device)
    torch.distributed.all_reduce(t, op=torch.distributed.ReduceOp.MIN)
    return bool(t.item())


def sum_values(values, device):
    """Element-wise sum over ranks of a list of floats."""
    t = torch.tensor(values, dtype=torch.float64, device=device)
    torch.distributed.all_reduce(t)
    return t.tolist()


def full_state_dict(model):
    """The whole model's state dict on every rank, on the CPU (a collective)."""
    from torch.distributed.checkpoint.state_dict import StateDictOptions, get_model_state_dict

    return get_model_state_dict(model, options=StateDictOptions(full_state_dict=True,
                                                                cpu_offload=True))


def load_full_state_dict(model, state):
    """Copies full tensors (present on every rank) into the sharded parameters: each rank
    keeps its own shard, with no communication."""
    from torch.distributed.tensor import DTensor, distribute_tensor

    with torch.no_grad():
        for name, p in model.named_parameters():
            full = state[name].to(dtype=p.dtype)
            if isinstance(p, DTensor):
                full = distribute_tensor(full.to(p.device_mesh.device_type), p.device_mesh,
                                         p.placements, src_data_rank=None)
            p.copy_(full)


def to_float(x):
    """A scalar that may be a DTensor (FSDP's gradient norm) as a float."""
    if hasattr(x, "full_tensor"):
        x = x.full_tensor()
    return float(x)
