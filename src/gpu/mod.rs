//! wgpu back end for ProxMO's kernels. Not built yet.
