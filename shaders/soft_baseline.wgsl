// PSA soft baseline (docs/estimators.md, section 4.2), fused: one invocation per query row.
//
// For query row i in group g: B_i = sum_j softmax_j(sim(i, j) / tau) * R_j over the rows j of
// g (only rows with the same step index when `align_steps` is set). Rows are L2-normalised
// CSR TF-IDF vectors with sorted column indices, so sim(i, j) is a sparse dot product computed
// by merging the two index lists. The softmax is accumulated online (running max, running
// sum of weights, running weighted sum of returns), so no matrix is ever stored.
//
// The host splits a batch into chunks of whole groups; every index below is relative to the
// chunk. Dispatch is 2-D so that more than 65,535 workgroups can be launched: the row of an
// invocation is `gid.y * row_stride + gid.x`.

struct Params {
    // Rows in this chunk.
    n_rows: u32,
    // Rows covered by one row of workgroups (workgroups along x times the workgroup size).
    row_stride: u32,
    // 1 to compare only rows with the same step index.
    align_steps: u32,
    // 1 / tau, clamped on the host to a finite f32.
    inv_tau: f32,
}

struct Row {
    // This row's entries are nz_start..nz_end of `cols` / `vals`.
    nz_start: u32,
    nz_end: u32,
    // This row's group is rows group_start..group_end.
    group_start: u32,
    group_end: u32,
    step: u32,
    ret: f32,
    _pad0: u32,
    _pad1: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> rows: array<Row>;
@group(0) @binding(2) var<storage, read> cols: array<u32>;
@group(0) @binding(3) var<storage, read> vals: array<f32>;
@group(0) @binding(4) var<storage, read_write> baselines: array<f32>;

const WORKGROUP_SIZE: u32 = 64u;

// Members per partial sum (see the summation comment in `main`).
const BLOCK: u32 = 64u;

fn sparse_dot(a_start: u32, a_end: u32, b_start: u32, b_end: u32) -> f32 {
    var a = a_start;
    var b = b_start;
    var dot = 0.0;
    loop {
        if (a >= a_end || b >= b_end) {
            break;
        }
        let ca = cols[a];
        let cb = cols[b];
        if (ca == cb) {
            dot = dot + vals[a] * vals[b];
            a = a + 1u;
            b = b + 1u;
        } else if (ca < cb) {
            a = a + 1u;
        } else {
            b = b + 1u;
        }
    }
    return dot;
}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = gid.y * params.row_stride + gid.x;
    if (i >= params.n_rows) {
        return;
    }
    let q = rows[i];
    let inv_tau = params.inv_tau;

    // Sums are blocked: terms go into a block sum that is added to the total every BLOCK
    // members, which keeps groups of thousands of rows accurate in f32 (one running f32 sum
    // drifted by 4e-5 over a 5,000-row group). Kahan summation fixed that in a CPU emulation
    // but changed nothing on llvmpipe, whose compiler presumably optimises it away.
    var run_max = 0.0;
    var have_max = false;
    var weight_sum = 0.0;
    var weighted = 0.0;
    var block_weight_sum = 0.0;
    var block_weighted = 0.0;
    var in_block = 0u;
    for (var j = q.group_start; j < q.group_end; j = j + 1u) {
        let k = rows[j];
        if (params.align_steps != 0u && k.step != q.step) {
            continue;
        }
        let sim = sparse_dot(q.nz_start, q.nz_end, k.nz_start, k.nz_end);
        if (!have_max || sim > run_max) {
            // Rescale what was accumulated under the old max (nothing, for the first member).
            let scale = select(exp((run_max - sim) * inv_tau), 0.0, !have_max);
            have_max = true;
            weight_sum = weight_sum * scale;
            weighted = weighted * scale;
            block_weight_sum = block_weight_sum * scale + 1.0;
            block_weighted = block_weighted * scale + k.ret;
            run_max = sim;
        } else {
            let w = exp((sim - run_max) * inv_tau);
            block_weight_sum = block_weight_sum + w;
            block_weighted = block_weighted + w * k.ret;
        }
        in_block = in_block + 1u;
        if (in_block == BLOCK) {
            weight_sum = weight_sum + block_weight_sum;
            weighted = weighted + block_weighted;
            block_weight_sum = 0.0;
            block_weighted = 0.0;
            in_block = 0u;
        }
    }
    weight_sum = weight_sum + block_weight_sum;
    weighted = weighted + block_weighted;
    // The member with the largest similarity has weight 1 (the row itself is always a
    // member), so weight_sum >= 1.
    baselines[i] = weighted / max(weight_sum, 1.0e-30);
}
