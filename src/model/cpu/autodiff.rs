//! `CpuOps` for `Autodiff<Flex, C>`: the forward runs the kernels on the inner tensors, and
//! each op registers a backward node that runs the matching backward kernel. Inputs that do
//! not require a gradient (the images) get none computed.

use std::sync::Arc;

use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::CheckpointStrategy;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
use burn::backend::flex::FlexTensor;
use burn::backend::ops::{ConvOptions, ModuleOps};
use burn::backend::tensor::FloatTensor;
use burn::backend::{Autodiff, AutodiffBackend, Flex};
use mr2_kernels::{batch_norm as bn, conv, pool, shortcut};

use super::flex::{
    bn_forward, bn_shape, contiguous, conv_forward, conv_geometry, data, dims, pool_forward,
    pool_geometry, shortcut_forward, shortcut_geometry, stats_tensors, tensor,
};
use super::CpuOps;

type Ad<C> = Autodiff<Flex, C>;

/// (output, batch mean, batch variance).
type BnOut<C> = (FloatTensor<Ad<C>>, FloatTensor<Ad<C>>, FloatTensor<Ad<C>>);

/// Backward of a convolution; parents are (x, weight) or (x, weight, bias).
#[derive(Debug)]
struct ConvBackward;

impl<const N: usize> Backward<Flex, N> for ConvBackward {
    type State = (FlexTensor, FlexTensor, conv::Conv2d);

    fn backward(self, ops: Ops<Self::State, N>, grads: &mut Gradients, _: &mut Checkpointer) {
        let dy = contiguous(grads.consume::<Flex>(&ops.node));
        let (x, w, g) = ops.state;
        let [px, pw] = [&ops.parents[0], &ops.parents[1]];
        let pb = ops.parents.get(2).and_then(|p| p.as_ref());
        let mut dx = px.as_ref().map(|_| mr2_kernels::zeros(g.input_len()));
        let mut dw = pw.as_ref().map(|_| vec![0.0; g.weight_len()]);
        let mut db = pb.map(|_| vec![0.0; g.c_out]);
        conv::backward(
            &g,
            data(&x),
            data(&w),
            data(&dy),
            conv::Grads {
                x: dx.as_deref_mut(),
                w: dw.as_deref_mut(),
                bias: db.as_deref_mut(),
            },
        );
        if let (Some(p), Some(v)) = (px, dx) {
            grads.register::<Flex>(p.id, tensor(v, dims::<4>(&x)));
        }
        if let (Some(p), Some(v)) = (pw, dw) {
            grads.register::<Flex>(p.id, tensor(v, dims::<4>(&w)));
        }
        if let (Some(p), Some(v)) = (pb, db) {
            grads.register::<Flex>(p.id, tensor(v, [g.c_out]));
        }
    }
}

fn conv_ad<C: CheckpointStrategy, const N: usize>(
    inputs: [FloatTensor<Ad<C>>; N],
    options: ConvOptions<2>,
) -> FloatTensor<Ad<C>> {
    let guards = inputs.each_ref().map(|t| t.node());
    let mut t = Vec::from(inputs.map(|t| contiguous(t.into_primitive()))).into_iter();
    let (x, w, b) = (t.next().expect("x"), t.next().expect("weight"), t.next());
    let g = conv_geometry(&x, &w, &options);
    let y = conv_forward(&x, &w, b.as_ref(), &g);
    match ConvBackward.prepare::<C>(guards).compute_bound().stateful() {
        OpsKind::Tracked(prep) => prep.finish((x, w, g), y),
        OpsKind::UnTracked(prep) => prep.finish(y),
    }
}

/// Backward of a training batch norm (+ residual, + ReLU); parents are (x, γ, β) or
/// (x, γ, β, residual).
#[derive(Debug)]
struct BnBackward;

#[derive(Clone, Debug)]
struct BnState {
    x: FlexTensor,
    gamma: FlexTensor,
    stats: Arc<bn::Stats>,
    /// The output, when it ended in a ReLU (its gate is `y > 0`); shares the output's buffer.
    relu_out: Option<FlexTensor>,
}

impl<const N: usize> Backward<Flex, N> for BnBackward {
    type State = BnState;

    fn backward(self, ops: Ops<Self::State, N>, grads: &mut Gradients, _: &mut Checkpointer) {
        let dy = contiguous(grads.consume::<Flex>(&ops.node));
        let st = ops.state;
        let s = bn_shape(&st.x);
        let px = ops.parents[0].as_ref();
        let pr = ops.parents.get(3).and_then(|p| p.as_ref());
        let mut dx = px.map(|_| mr2_kernels::zeros(s.len()));
        let mut dr = pr.map(|_| mr2_kernels::zeros(s.len()));
        let (dgamma, dbeta) = bn::backward(
            &s,
            data(&st.x),
            data(&dy),
            data(&st.gamma),
            &st.stats,
            st.relu_out.as_ref().map(data),
            bn::Grads {
                x: dx.as_deref_mut(),
                residual: dr.as_deref_mut(),
            },
        );
        let shape = dims::<4>(&st.x);
        if let (Some(p), Some(v)) = (px, dx) {
            grads.register::<Flex>(p.id, tensor(v, shape));
        }
        if let Some(p) = &ops.parents[1] {
            grads.register::<Flex>(p.id, tensor(dgamma, [s.channels]));
        }
        if let Some(p) = &ops.parents[2] {
            grads.register::<Flex>(p.id, tensor(dbeta, [s.channels]));
        }
        if let (Some(p), Some(v)) = (pr, dr) {
            grads.register::<Flex>(p.id, tensor(v, shape));
        }
    }
}

fn bn_ad<C: CheckpointStrategy, const N: usize>(
    inputs: [FloatTensor<Ad<C>>; N],
    eps: f64,
    relu: bool,
) -> BnOut<C> {
    let guards = inputs.each_ref().map(|t| t.node());
    let mut t = Vec::from(inputs.map(|t| contiguous(t.into_primitive()))).into_iter();
    let (x, gamma, beta) = (
        t.next().expect("x"),
        t.next().expect("gamma"),
        t.next().expect("beta"),
    );
    let r = t.next();
    let (y, stats) = bn_forward(&x, &gamma, &beta, r.as_ref(), eps, relu);
    let (mean, var) = stats_tensors(&stats);
    let out = match BnBackward.prepare::<C>(guards).compute_bound().stateful() {
        OpsKind::Tracked(prep) => prep.finish(
            BnState {
                x,
                gamma,
                stats: Arc::new(stats),
                relu_out: relu.then(|| y.clone()),
            },
            y,
        ),
        OpsKind::UnTracked(prep) => prep.finish(y),
    };
    (out, Ad::<C>::from_inner(mean), Ad::<C>::from_inner(var))
}

/// Backward of max pooling: the argmax bytes route `dy` into `dx`.
#[derive(Debug)]
struct PoolBackward;

impl Backward<Flex, 1> for PoolBackward {
    type State = (Arc<Vec<u8>>, pool::Pool2d, [usize; 4]);

    fn backward(self, ops: Ops<Self::State, 1>, grads: &mut Gradients, _: &mut Checkpointer) {
        let dy = contiguous(grads.consume::<Flex>(&ops.node));
        let (arg, g, shape) = ops.state;
        if let Some(p) = &ops.parents[0] {
            let mut dx = mr2_kernels::zeros(g.planes * g.h * g.w);
            pool::max_backward(&g, data(&dy), &arg, &mut dx);
            grads.register::<Flex>(p.id, tensor(dx, shape));
        }
    }
}

/// Backward of the option-A shortcut: `dy`'s middle channels, at every second position.
#[derive(Debug)]
struct ShortcutBackward;

impl Backward<Flex, 1> for ShortcutBackward {
    type State = shortcut::Shortcut;

    fn backward(self, ops: Ops<Self::State, 1>, grads: &mut Gradients, _: &mut Checkpointer) {
        let dy = contiguous(grads.consume::<Flex>(&ops.node));
        let s = ops.state;
        if let Some(p) = &ops.parents[0] {
            let mut dx = mr2_kernels::zeros(s.input_len());
            shortcut::backward(&s, data(&dy), &mut dx);
            grads.register::<Flex>(p.id, tensor(dx, [s.batch, s.channels, s.h, s.w]));
        }
    }
}

impl<C: CheckpointStrategy> CpuOps for Ad<C> {
    fn mr2_conv2d(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        options: ConvOptions<2>,
    ) -> FloatTensor<Self> {
        conv_ad::<C, 2>([x, weight], options)
    }

    fn mr2_conv2d_bias(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        bias: FloatTensor<Self>,
        options: ConvOptions<2>,
    ) -> FloatTensor<Self> {
        conv_ad::<C, 3>([x, weight, bias], options)
    }

    fn mr2_bn_train(
        x: FloatTensor<Self>,
        gamma: FloatTensor<Self>,
        beta: FloatTensor<Self>,
        epsilon: f64,
        relu: bool,
    ) -> (FloatTensor<Self>, FloatTensor<Self>, FloatTensor<Self>) {
        bn_ad::<C, 3>([x, gamma, beta], epsilon, relu)
    }

    fn mr2_bn_add_relu_train(
        x: FloatTensor<Self>,
        gamma: FloatTensor<Self>,
        beta: FloatTensor<Self>,
        residual: FloatTensor<Self>,
        epsilon: f64,
    ) -> (FloatTensor<Self>, FloatTensor<Self>, FloatTensor<Self>) {
        bn_ad::<C, 4>([x, gamma, beta, residual], epsilon, true)
    }

    /// Not reached from [`super::batch_norm`] (a frozen batch norm on an autodiff device takes
    /// burn's path); delegates to burn's differentiable batch norm.
    fn mr2_bn_infer(
        x: FloatTensor<Self>,
        gamma: FloatTensor<Self>,
        beta: FloatTensor<Self>,
        mean: FloatTensor<Self>,
        var: FloatTensor<Self>,
        epsilon: f64,
    ) -> FloatTensor<Self> {
        <Self as ModuleOps<Self>>::batch_norm(x, gamma, beta, mean, var, epsilon)
    }

    fn mr2_shortcut_a(x: FloatTensor<Self>, pad: usize) -> FloatTensor<Self> {
        let guard = x.node();
        let xp = contiguous(x.into_primitive());
        let s = shortcut_geometry(&xp, pad);
        let y = shortcut_forward(&xp, &s);
        match ShortcutBackward
            .prepare::<C>([guard])
            .compute_bound()
            .stateful()
        {
            OpsKind::Tracked(prep) => prep.finish(s, y),
            OpsKind::UnTracked(prep) => prep.finish(y),
        }
    }

    fn mr2_max_pool2d(
        x: FloatTensor<Self>,
        kernel: [usize; 2],
        stride: [usize; 2],
        padding: [(usize, usize); 2],
    ) -> FloatTensor<Self> {
        let guard = x.node();
        let xp = contiguous(x.into_primitive());
        let g = pool_geometry(&xp, kernel, stride, padding);
        let (y, arg) = pool_forward(&xp, &g);
        let shape = dims::<4>(&xp);
        match PoolBackward
            .prepare::<C>([guard])
            .compute_bound()
            .stateful()
        {
            OpsKind::Tracked(prep) => prep.finish((Arc::new(arg), g, shape), y),
            OpsKind::UnTracked(prep) => prep.finish(y),
        }
    }
}
