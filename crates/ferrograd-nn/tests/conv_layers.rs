//! Convolutional layers: shapes ('same' / 'valid' / transposed), configs that round-trip with
//! their weights, batch norm 2d statistics, pooling and upsampling layers, spatial dropout.

use ferrograd_core::{Conv2dOptions, Pool2dOptions, Tensor};
use ferrograd_nn::layers::{
    BatchNorm2d, Conv, ConvConfig, GlobalPool, Padding, Pool, PoolKind, SpatialDropout, Upsample,
};
use ferrograd_nn::model::network_from_config;
use ferrograd_nn::module::{state_dict, Module, Sequential};

#[test]
fn conv_layers_compute_the_core_op_with_resolved_padding() {
    let mut c = ConvConfig::new(3, 4, (4, 4));
    c.padding = Padding::Same;
    c.stride = (2, 2);
    let layer = Conv::conv2d(c, Some(1)).unwrap();
    let x = Tensor::randn(&[2, 3, 9, 7], 0.0, 1.0, Some(2)).unwrap();
    let y = layer.forward(&x).unwrap();
    assert_eq!(y.dims(), &[2, 4, 5, 4], "'same': ceil(9/2) x ceil(7/2)");
    let o = Conv2dOptions {
        stride: (2, 2),
        ..Conv2dOptions::default()
    }
    .with_same_padding((9, 7), (4, 4));
    let want = x.conv2d(&layer.weight, layer.bias.as_ref(), &o).unwrap();
    assert_eq!(y.to_vec(), want.to_vec());
    let names: Vec<String> = state_dict(&layer).into_keys().collect();
    assert_eq!(names, ["bias", "weight"]);
    assert_eq!(layer.weight.dims(), &[4, 3, 4, 4]);

    let mut t = ConvConfig::new(4, 2, (3, 3));
    t.stride = (2, 2);
    t.padding_t = (1, 1);
    t.output_padding = (1, 1);
    let up = Conv::conv_transpose2d(t, Some(3)).unwrap();
    assert_eq!(
        up.forward(&y).unwrap().dims(),
        &[2, 2, 10, 8],
        "(in - 1)·2 - 2 + 3 + 1"
    );

    let mut c1 = ConvConfig::new(2, 3, (1, 3));
    c1.padding = Padding::Same;
    let conv1 = Conv::conv1d(c1, Some(4)).unwrap();
    assert_eq!(
        conv1.forward(&Tensor::zeros(&[5, 2, 11])).unwrap().dims(),
        &[5, 3, 11]
    );
    assert!(Conv::conv2d(
        ConvConfig {
            groups: 2,
            ..ConvConfig::new(3, 4, (3, 3))
        },
        None
    )
    .is_err());
}

#[test]
fn a_cnn_config_round_trips_with_its_layers() {
    let config = serde_json::json!({"type": "Sequential", "layers": [
        {"type": "Conv2d", "in_channels": 1, "out_channels": 4, "kernel": [3, 3], "stride": [1, 1], "dilation": [1, 1], "groups": 1, "bias": true, "padding": "same"},
        {"type": "BatchNorm2d", "num_features": 4, "eps": 1e-5, "momentum": 0.1},
        {"type": "SpatialDropout", "p": 0.25},
        {"type": "Pool2d", "kind": "max", "kernel": [2, 2], "stride": [2, 2], "padding": [0, 0], "ceil_mode": false, "count_include_pad": true},
        {"type": "ConvTranspose2d", "in_channels": 4, "out_channels": 2, "kernel": [2, 2], "stride": [2, 2], "dilation": [1, 1], "groups": 1, "bias": false, "padding": [0, 0], "output_padding": [0, 0]},
        {"type": "Upsample", "scale": [2, 2], "mode": "bilinear"},
        {"type": "AdaptivePool2d", "kind": "avg", "output": [3, 3]},
        {"type": "GlobalPool", "kind": "max"}
    ]});
    let mut net = network_from_config(&config).unwrap();
    // Configs are stable (floats go through f32 once, so compare a second round trip).
    let saved = net.config().unwrap();
    assert_eq!(
        network_from_config(&saved).unwrap().config().unwrap(),
        saved
    );
    assert_eq!(saved["layers"][0], config["layers"][0]);
    assert_eq!(saved["layers"][4], config["layers"][4]);
    net.set_training(false);
    let y = net
        .forward(&Tensor::randn(&[2, 1, 8, 8], 0.0, 1.0, Some(5)).unwrap())
        .unwrap();
    assert_eq!(y.dims(), &[2, 2]);
    let bad = serde_json::json!({"type": "Sequential", "layers": [
        {"type": "Conv2d", "in_channels": 1, "out_channels": 4, "kernel": [3, 3], "stride": [1, 1], "dilation": [1, 1], "groups": 1, "bias": true, "padding": "full"}
    ]});
    let e = network_from_config(&bad).err().unwrap().to_string();
    assert!(e.contains("padding") && e.contains("full"), "{e}");
}

#[test]
fn batch_norm_2d_normalises_each_channel_over_batch_and_space() {
    let bn = BatchNorm2d::new(2, 1e-5, 0.1).unwrap();
    let x = Tensor::randn(&[4, 2, 3, 3], 3.0, 2.0, Some(6)).unwrap();
    let y = bn.forward(&x).unwrap().to_vec();
    for ch in 0..2 {
        let vals: Vec<f32> = (0..4)
            .flat_map(|n| y[(n * 2 + ch) * 9..(n * 2 + ch + 1) * 9].to_vec())
            .collect();
        let mean = vals.iter().sum::<f32>() / 36.0;
        let var = vals.iter().map(|v| (v - mean) * (v - mean)).sum::<f32>() / 36.0;
        assert!(
            mean.abs() < 1e-5 && (var - 1.0).abs() < 1e-3,
            "channel {ch}: {mean} {var}"
        );
    }
    let names: Vec<String> = state_dict(&bn).into_keys().collect();
    assert!(
        names.contains(&"running_mean".to_owned())
            && names.contains(&"num_batches_tracked".to_owned())
    );
}

#[test]
fn pooling_upsampling_and_spatial_dropout_layers() {
    let x = Tensor::from_vec((0..16).map(|v| v as f32).collect(), &[1, 1, 4, 4]).unwrap();
    let max = Pool::new_2d(PoolKind::Max, Pool2dOptions::new((2, 2))).unwrap();
    assert_eq!(
        max.forward(&x).unwrap().to_vec(),
        vec![5.0, 7.0, 13.0, 15.0]
    );
    let sum = Pool::new_2d(PoolKind::Sum, Pool2dOptions::new((2, 2))).unwrap();
    assert_eq!(
        sum.forward(&x).unwrap().to_vec(),
        vec![10.0, 18.0, 42.0, 50.0]
    );
    let gap = GlobalPool::global(PoolKind::Avg).unwrap();
    assert_eq!(gap.forward(&x).unwrap().to_vec(), vec![7.5]);
    let up = Upsample::new((2, 2), false).unwrap();
    assert_eq!(up.forward(&x).unwrap().dims(), &[1, 1, 8, 8]);

    let drop = SpatialDropout::new(0.5).unwrap();
    let maps = Tensor::ones(&[8, 16, 3, 3]);
    let out = drop.forward(&maps).unwrap().to_vec();
    for plane in out.chunks(9) {
        assert!(
            plane.iter().all(|&v| v == plane[0]) && (plane[0] == 0.0 || plane[0] == 2.0),
            "whole channels are kept or dropped"
        );
    }
    let mut eval = Sequential::new(vec![Box::new(SpatialDropout::new(0.5).unwrap())]);
    eval.set_training(false);
    assert_eq!(eval.forward(&maps).unwrap().to_vec(), maps.to_vec());
}
