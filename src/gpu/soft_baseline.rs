//! The PSA soft baseline on the GPU: host side of `shaders/soft_baseline.wgsl`.
//!
//! One fused kernel computes every row's baseline with an online softmax over its group, in
//! f32, without storing a similarity matrix. Rows are uploaded as CSR (column indices and
//! values) plus one 32-byte record per row. Batches whose buffers would exceed the device's
//! storage-binding or buffer-size limits are split into chunks of whole groups, run one after
//! the other on the same (grow-only, reused) buffers.

use super::context::{self, GpuContext};
use crate::sparse::SoftBaselineProblem;
use anyhow::{anyhow, bail, ensure, Result};
use bytemuck::{Pod, Zeroable};
use std::ops::Range;

const SHADER: &str = include_str!("../../shaders/soft_baseline.wgsl");

/// Must match `@workgroup_size` in the shader.
const WORKGROUP_SIZE: u32 = 64;

/// Row pairs per chunk (several groups share a chunk up to this much work; one group larger
/// than this is still one chunk). Keeps single submissions short on real GPUs, whose drivers
/// may reset a device that runs one dispatch for seconds.
const MAX_PAIRS_PER_CHUNK: u64 = 1 << 28;

#[repr(C)]
#[derive(Debug, Clone, Copy, Pod, Zeroable)]
struct KernelParams {
    n_rows: u32,
    row_stride: u32,
    align_steps: u32,
    inv_tau: f32,
}

#[repr(C)]
#[derive(Debug, Clone, Copy, Pod, Zeroable)]
struct RowRecord {
    nz_start: u32,
    nz_end: u32,
    group_start: u32,
    group_end: u32,
    step: u32,
    ret: f32,
    _pad0: u32,
    _pad1: u32,
}

const ROW_BYTES: u64 = std::mem::size_of::<RowRecord>() as u64;

/// A buffer that only ever grows.
struct GrowBuffer {
    label: &'static str,
    usage: wgpu::BufferUsages,
    buffer: Option<wgpu::Buffer>,
}

impl GrowBuffer {
    fn new(label: &'static str, usage: wgpu::BufferUsages) -> GrowBuffer {
        GrowBuffer {
            label,
            usage,
            buffer: None,
        }
    }

    /// Makes the buffer hold at least `need` bytes (never more than `limit`); true when a new
    /// buffer was created.
    fn ensure(&mut self, device: &wgpu::Device, need: u64, limit: u64) -> bool {
        let need = need.max(16);
        if let Some(b) = &self.buffer {
            if b.size() >= need {
                return false;
            }
        }
        let size = need.next_power_of_two().min(limit).max(need);
        // Sizes stay multiples of 4 (COPY_BUFFER_ALIGNMENT).
        let size = size.div_ceil(4) * 4;
        self.buffer = Some(device.create_buffer(&wgpu::BufferDescriptor {
            label: Some(self.label),
            size,
            usage: self.usage,
            mapped_at_creation: false,
        }));
        true
    }

    fn get(&self) -> &wgpu::Buffer {
        self.buffer.as_ref().expect("GrowBuffer::ensure runs first")
    }
}

/// Pipeline and buffers, cached on the context.
struct Kernel {
    pipeline: wgpu::ComputePipeline,
    layout: wgpu::BindGroupLayout,
    params: wgpu::Buffer,
    rows: GrowBuffer,
    cols: GrowBuffer,
    vals: GrowBuffer,
    out: GrowBuffer,
    staging: GrowBuffer,
    bind_group: Option<wgpu::BindGroup>,
}

fn storage_entry(binding: u32, read_only: bool) -> wgpu::BindGroupLayoutEntry {
    wgpu::BindGroupLayoutEntry {
        binding,
        visibility: wgpu::ShaderStages::COMPUTE,
        ty: wgpu::BindingType::Buffer {
            ty: wgpu::BufferBindingType::Storage { read_only },
            has_dynamic_offset: false,
            min_binding_size: None,
        },
        count: None,
    }
}

impl Kernel {
    fn new(device: &wgpu::Device) -> Kernel {
        let module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
            label: Some("soft_baseline.wgsl"),
            source: wgpu::ShaderSource::Wgsl(SHADER.into()),
        });
        let layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("soft_baseline"),
            entries: &[
                wgpu::BindGroupLayoutEntry {
                    binding: 0,
                    visibility: wgpu::ShaderStages::COMPUTE,
                    ty: wgpu::BindingType::Buffer {
                        ty: wgpu::BufferBindingType::Uniform,
                        has_dynamic_offset: false,
                        min_binding_size: None,
                    },
                    count: None,
                },
                storage_entry(1, true),
                storage_entry(2, true),
                storage_entry(3, true),
                storage_entry(4, false),
            ],
        });
        let pipeline_layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
            label: Some("soft_baseline"),
            bind_group_layouts: &[Some(&layout)],
            immediate_size: 0,
        });
        let pipeline = device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
            label: Some("soft_baseline"),
            layout: Some(&pipeline_layout),
            module: &module,
            entry_point: Some("main"),
            compilation_options: Default::default(),
            cache: None,
        });
        let params = device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("soft_baseline params"),
            size: std::mem::size_of::<KernelParams>() as u64,
            usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        let storage_in = wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_DST;
        Kernel {
            pipeline,
            layout,
            params,
            rows: GrowBuffer::new("soft_baseline rows", storage_in),
            cols: GrowBuffer::new("soft_baseline cols", storage_in),
            vals: GrowBuffer::new("soft_baseline vals", storage_in),
            out: GrowBuffer::new(
                "soft_baseline out",
                wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC,
            ),
            staging: GrowBuffer::new(
                "soft_baseline staging",
                wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
            ),
            bind_group: None,
        }
    }
}

/// Checks the problem's arrays against each other so that nothing below can index out of
/// bounds.
fn validate(problem: &SoftBaselineProblem) -> Result<()> {
    let n = problem.n_rows();
    let v = &problem.vectors;
    ensure!(
        v.indptr.len() == n + 1,
        "malformed problem: {} rows but {} CSR row pointers",
        n,
        v.indptr.len()
    );
    ensure!(
        v.indices.len() == v.values.len(),
        "malformed problem: {} column indices but {} values",
        v.indices.len(),
        v.values.len()
    );
    ensure!(
        v.indptr[0] == 0 && v.indptr[n] as usize == v.indices.len(),
        "malformed problem: CSR row pointers do not span the entries"
    );
    ensure!(
        v.indptr.windows(2).all(|w| w[0] <= w[1]),
        "malformed problem: CSR row pointers decrease"
    );
    ensure!(
        !problem.align_steps || problem.steps.len() == n,
        "malformed problem: {} rows but {} step indices",
        n,
        problem.steps.len()
    );
    let offs = &problem.group_offsets;
    ensure!(
        offs.first() == Some(&0) && offs.last() == Some(&n),
        "malformed problem: group offsets must run from 0 to the row count {n}"
    );
    ensure!(
        offs.windows(2).all(|w| w[0] <= w[1]),
        "malformed problem: group offsets decrease"
    );
    ensure!(
        problem.tau > 0.0 && problem.tau.is_finite(),
        "tau must be a finite number > 0, got {}",
        problem.tau
    );
    Ok(())
}

/// Splits the groups into consecutive chunks whose buffers each fit in `max_bytes` and
/// whose rows fit in one dispatch.
fn plan_chunks(
    problem: &SoftBaselineProblem,
    max_bytes: u64,
    max_rows: u64,
) -> Result<Vec<Range<usize>>> {
    let offs = &problem.group_offsets;
    let indptr = &problem.vectors.indptr;
    let n_groups = offs.len() - 1;
    let mut chunks = Vec::new();
    let mut start = 0usize;
    let (mut rows, mut nnz, mut pairs) = (0u64, 0u64, 0u64);
    for g in 0..n_groups {
        let g_rows = (offs[g + 1] - offs[g]) as u64;
        let g_nnz = (indptr[offs[g + 1]] - indptr[offs[g]]) as u64;
        let g_pairs = g_rows * g_rows;
        if g_rows * ROW_BYTES > max_bytes || g_nnz * 4 > max_bytes || g_rows > max_rows {
            bail!(
                "group {g} ({g_rows} rows, {g_nnz} non-zeros) does not fit in one GPU buffer \
                 (limit {max_bytes} bytes)"
            );
        }
        let fits = (rows + g_rows) * ROW_BYTES <= max_bytes
            && (nnz + g_nnz) * 4 <= max_bytes
            && rows + g_rows <= max_rows
            && pairs + g_pairs <= MAX_PAIRS_PER_CHUNK;
        if !fits && g > start {
            chunks.push(start..g);
            start = g;
            rows = 0;
            nnz = 0;
            pairs = 0;
        }
        rows += g_rows;
        nnz += g_nnz;
        pairs += g_pairs;
    }
    if start < n_groups {
        chunks.push(start..n_groups);
    }
    Ok(chunks)
}

/// Host-side arrays of one chunk.
struct ChunkData {
    rows: Vec<RowRecord>,
    cols: Vec<u32>,
    vals: Vec<f32>,
}

fn chunk_data(problem: &SoftBaselineProblem, groups: Range<usize>) -> ChunkData {
    let offs = &problem.group_offsets;
    let v = &problem.vectors;
    let row_base = offs[groups.start];
    let row_end = offs[groups.end];
    let nz_base = v.indptr[row_base] as usize;
    let nz_end = v.indptr[row_end] as usize;
    let mut cols: Vec<u32> = v.indices[nz_base..nz_end].to_vec();
    let mut vals: Vec<f32> = v.values[nz_base..nz_end]
        .iter()
        .map(|&x| x as f32)
        .collect();
    let mut rows = Vec::with_capacity(row_end - row_base);
    for g in groups {
        let (gs, ge) = (offs[g] - row_base, offs[g + 1] - row_base);
        for r in offs[g]..offs[g + 1] {
            let s = v.indptr[r] as usize - nz_base;
            let e = v.indptr[r + 1] as usize - nz_base;
            // The merge in the shader needs sorted column indices.
            if cols[s..e].windows(2).any(|w| w[0] > w[1]) {
                let mut pairs: Vec<(u32, f32)> = cols[s..e]
                    .iter()
                    .copied()
                    .zip(vals[s..e].iter().copied())
                    .collect();
                pairs.sort_by_key(|p| p.0);
                for (k, (c, x)) in pairs.into_iter().enumerate() {
                    cols[s + k] = c;
                    vals[s + k] = x;
                }
            }
            rows.push(RowRecord {
                nz_start: s as u32,
                nz_end: e as u32,
                group_start: gs as u32,
                group_end: ge as u32,
                step: problem.steps.get(r).copied().unwrap_or(0),
                ret: problem.returns[r] as f32,
                _pad0: 0,
                _pad1: 0,
            });
        }
    }
    ChunkData { rows, cols, vals }
}

fn run_chunk(
    ctx: &GpuContext,
    kernel: &mut Kernel,
    data: &ChunkData,
    problem: &SoftBaselineProblem,
    limit: u64,
    max_dim: u64,
) -> Result<Vec<f32>> {
    let device = &ctx.device;
    let n = data.rows.len() as u64;
    if n == 0 {
        return Ok(Vec::new());
    }
    let mut changed = false;
    changed |= kernel.rows.ensure(device, n * ROW_BYTES, limit);
    changed |= kernel
        .cols
        .ensure(device, data.cols.len() as u64 * 4, limit);
    changed |= kernel
        .vals
        .ensure(device, data.vals.len() as u64 * 4, limit);
    changed |= kernel.out.ensure(device, n * 4, limit);
    kernel.staging.ensure(device, n * 4, limit);
    if changed || kernel.bind_group.is_none() {
        kernel.bind_group = Some(device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("soft_baseline"),
            layout: &kernel.layout,
            entries: &[
                wgpu::BindGroupEntry {
                    binding: 0,
                    resource: kernel.params.as_entire_binding(),
                },
                wgpu::BindGroupEntry {
                    binding: 1,
                    resource: kernel.rows.get().as_entire_binding(),
                },
                wgpu::BindGroupEntry {
                    binding: 2,
                    resource: kernel.cols.get().as_entire_binding(),
                },
                wgpu::BindGroupEntry {
                    binding: 3,
                    resource: kernel.vals.get().as_entire_binding(),
                },
                wgpu::BindGroupEntry {
                    binding: 4,
                    resource: kernel.out.get().as_entire_binding(),
                },
            ],
        }));
    }

    let workgroups = n.div_ceil(WORKGROUP_SIZE as u64);
    let groups_x = workgroups.min(max_dim);
    let groups_y = workgroups.div_ceil(groups_x);
    ensure!(
        groups_y <= max_dim,
        "{n} rows need more workgroups than one dispatch allows"
    );
    let inv_tau = (1.0 / problem.tau).min(1e30) as f32;
    let params = KernelParams {
        n_rows: n as u32,
        row_stride: (groups_x * WORKGROUP_SIZE as u64) as u32,
        align_steps: problem.align_steps as u32,
        inv_tau,
    };
    let queue = &ctx.queue;
    queue.write_buffer(&kernel.params, 0, bytemuck::bytes_of(&params));
    queue.write_buffer(kernel.rows.get(), 0, bytemuck::cast_slice(&data.rows));
    if !data.cols.is_empty() {
        queue.write_buffer(kernel.cols.get(), 0, bytemuck::cast_slice(&data.cols));
        queue.write_buffer(kernel.vals.get(), 0, bytemuck::cast_slice(&data.vals));
    }

    let mut encoder = device.create_command_encoder(&wgpu::CommandEncoderDescriptor {
        label: Some("soft_baseline"),
    });
    {
        let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
            label: Some("soft_baseline"),
            timestamp_writes: None,
        });
        pass.set_pipeline(&kernel.pipeline);
        pass.set_bind_group(0, kernel.bind_group.as_ref(), &[]);
        pass.dispatch_workgroups(groups_x as u32, groups_y as u32, 1);
    }
    let out_bytes = n * 4;
    encoder.copy_buffer_to_buffer(kernel.out.get(), 0, kernel.staging.get(), 0, out_bytes);
    queue.submit([encoder.finish()]);

    let staging = kernel.staging.get();
    let slice = staging.slice(0..out_bytes);
    let (tx, rx) = std::sync::mpsc::channel();
    slice.map_async(wgpu::MapMode::Read, move |r| {
        let _ = tx.send(r);
    });
    device
        .poll(wgpu::PollType::wait_indefinitely())
        .map_err(|e| anyhow!("waiting for the GPU: {e}"))?;
    rx.recv()
        .map_err(|_| anyhow!("the GPU never answered the readback"))?
        .map_err(|e| anyhow!("reading the GPU results back: {e}"))?;
    let out = {
        let view = slice
            .get_mapped_range()
            .map_err(|e| anyhow!("reading the GPU results back: {e}"))?;
        bytemuck::cast_slice::<u8, f32>(&view).to_vec()
    };
    staging.unmap();
    Ok(out)
}

/// Caps on how much one dispatch may take, below the device's own limits. Only tests lower
/// them (to exercise chunking and 2-D dispatch on small problems).
#[doc(hidden)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DispatchCaps {
    /// Bytes per storage buffer of one chunk.
    pub max_buffer_bytes: u64,
    /// Workgroups per dispatch dimension.
    pub max_workgroups_per_dim: u32,
}

impl DispatchCaps {
    pub const DEVICE: DispatchCaps = DispatchCaps {
        max_buffer_bytes: u64::MAX,
        max_workgroups_per_dim: u32::MAX,
    };
}

fn run(ctx: &GpuContext, problem: &SoftBaselineProblem, caps: DispatchCaps) -> Result<Vec<f64>> {
    // Buffers are bound whole, so each must fit one storage binding.
    let device_limit = ctx
        .limits
        .max_storage_buffer_binding_size
        .min(ctx.limits.max_buffer_size)
        .min(u32::MAX as u64)
        & !3;
    let max_bytes = device_limit.min(caps.max_buffer_bytes);
    let max_dim = ctx
        .limits
        .max_compute_workgroups_per_dimension
        .min(caps.max_workgroups_per_dim)
        .max(1) as u64;
    let max_rows = (max_dim * max_dim * WORKGROUP_SIZE as u64).min(u32::MAX as u64);
    let chunks = plan_chunks(problem, max_bytes, max_rows)?;
    let build = || {
        ctx.scoped("compiling the soft-baseline shader", || {
            Ok(Kernel::new(&ctx.device))
        })
    };
    ctx.with_kernel(build, |kernel: &mut Kernel| {
        let mut out = Vec::with_capacity(problem.n_rows());
        for groups in chunks {
            let data = chunk_data(problem, groups);
            let part = ctx.scoped("computing the soft baseline", || {
                run_chunk(ctx, kernel, &data, problem, device_limit, max_dim)
            })?;
            ensure!(
                part.len() == data.rows.len(),
                "GPU returned {} baselines for {} rows",
                part.len(),
                data.rows.len()
            );
            out.extend(part.into_iter().map(f64::from));
        }
        Ok(out)
    })
}

/// The soft baseline of every row on the GPU, and a description of the adapter it ran on.
/// Errors (no adapter, software adapter without `allow_software`, validation, device lost,
/// even a panic inside wgpu) come back as `Err`; after a failure the device is reopened on
/// the next call.
pub fn soft_baseline_gpu(
    problem: &SoftBaselineProblem,
    allow_software: bool,
) -> Result<(Vec<f64>, String)> {
    soft_baseline_gpu_capped(problem, allow_software, DispatchCaps::DEVICE)
}

/// [`soft_baseline_gpu`] with lowered dispatch caps (for tests of chunking).
#[doc(hidden)]
pub fn soft_baseline_gpu_capped(
    problem: &SoftBaselineProblem,
    allow_software: bool,
    caps: DispatchCaps,
) -> Result<(Vec<f64>, String)> {
    validate_or_empty(problem)?;
    let ctx = context::context(allow_software)?;
    let desc = ctx.summary.describe();
    if problem.n_rows() == 0 {
        return Ok((Vec::new(), desc));
    }
    let result =
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run(&ctx, problem, caps)))
            .unwrap_or_else(|panic| {
                let msg = panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_else(|| "unknown panic".into());
                Err(anyhow!("the GPU back end panicked: {msg}"))
            });
    match result {
        Ok(out) => Ok((out, desc)),
        Err(e) => {
            // A failed device or half-written kernel state is not reused.
            drop(ctx);
            context::reset();
            Err(e.context(format!("soft baseline on {desc}")))
        }
    }
}

fn validate_or_empty(problem: &SoftBaselineProblem) -> Result<()> {
    if problem.n_rows() == 0 {
        return Ok(());
    }
    validate(problem)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sparse::SparseRows;

    fn problem(group_sizes: &[usize], nnz_per_row: u32) -> SoftBaselineProblem {
        let n: usize = group_sizes.iter().sum();
        let mut offsets = vec![0];
        for s in group_sizes {
            offsets.push(offsets.last().unwrap() + s);
        }
        SoftBaselineProblem {
            vectors: SparseRows {
                indptr: (0..=n as u32).map(|i| i * nnz_per_row).collect(),
                indices: (0..n as u32 * nnz_per_row)
                    .map(|k| k % nnz_per_row)
                    .collect(),
                values: vec![1.0; n * nnz_per_row as usize],
                n_features: nnz_per_row as usize,
            },
            returns: vec![0.0; n],
            steps: vec![0; n],
            group_offsets: offsets,
            tau: 0.1,
            align_steps: false,
        }
    }

    #[test]
    fn chunks_respect_byte_limits_and_keep_groups_whole() {
        let p = problem(&[4, 4, 4, 4], 2);
        // 4 rows * 32 bytes = 128 bytes per group: two groups per 256-byte chunk.
        let chunks = plan_chunks(&p, 256, u64::MAX).unwrap();
        assert_eq!(chunks, vec![0..2, 2..4]);
        let chunks = plan_chunks(&p, 1 << 20, u64::MAX).unwrap();
        assert_eq!(chunks, vec![0..4]);
        assert!(plan_chunks(&p, 64, u64::MAX).is_err());
    }

    #[test]
    fn malformed_problems_are_errors_not_panics() {
        let mut p = problem(&[3], 1);
        p.group_offsets = vec![0, 2];
        assert!(validate(&p).is_err());
        let mut p = problem(&[3], 1);
        p.tau = 0.0;
        assert!(validate(&p).is_err());
        let mut p = problem(&[3], 1);
        p.vectors.indptr.pop();
        assert!(validate(&p).is_err());
    }
}
