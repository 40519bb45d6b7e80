//! Model persistence: architecture JSON ([`Module::config`]) plus weights in one safetensors file.
//!
//! A saved model is a safetensors file whose `__metadata__` holds
//! `{"format": "ferrograd", "version": "1", "architecture": <json string>}` and whose tensors are
//! the model's `state_dict` (parameters *and* buffers, e.g. batch-norm running statistics).
//! Layers are rebuilt by type name through a [`LayerRegistry`] (built-ins pre-registered; custom
//! layers can be added), every config field is validated, and errors name the layer path
//! (`"layer 1.0 (Linear)"`) and the field.

mod attention;

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use serde_json::{Map, Value};

mod recurrent;

use crate::init::Initializer;
use crate::io::{deserialize, load_file, save_file, IoError, Result, SafeTensors};
use crate::layers::{
    Activation, ActivationKind, ActivityRegularization, BatchNorm1d, BatchNorm2d, Constraint, Conv,
    ConvConfig, Dropout, Embedding, Flatten, GaussianNoise, GlobalPool, LayerNorm, LinearConfig,
    Padding, Permute, Pool, PoolKind, Reshape, SpatialDropout, Upsample,
};
use crate::module::{state_dict, Graph, Merge, Module, Network, Node, NodeOp, Sequential, Slot};

/// Value of `format` in the file metadata.
pub const FORMAT: &str = "ferrograd";
/// Value of `version` in the file metadata.
pub const VERSION: &str = "1";

/// Reads and validates the fields of one layer config; errors name the layer and the field.
pub struct LayerFields<'a> {
    path: String,
    type_name: String,
    obj: &'a Map<String, Value>,
}

impl LayerFields<'_> {
    /// Dotted position of the layer in the model (`"2"`, `"1.0"`).
    pub fn path(&self) -> &str {
        &self.path
    }

    /// An error about `field` of this layer.
    pub fn error(&self, field: &str, msg: impl std::fmt::Display) -> IoError {
        IoError::Format {
            msg: format!(
                "architecture: layer {} ({}): field '{field}': {msg}",
                self.path, self.type_name
            ),
        }
    }

    fn get(&self, field: &str) -> Result<&Value> {
        self.obj
            .get(field)
            .ok_or_else(|| self.error(field, "missing"))
    }

    /// Rejects fields other than `type` and `allowed`.
    pub fn only(&self, allowed: &[&str]) -> Result<()> {
        for key in self.obj.keys() {
            if key != "type" && !allowed.contains(&key.as_str()) {
                return Err(self.error(key, "unknown field"));
            }
        }
        Ok(())
    }

    /// A non-negative integer field.
    pub fn usize(&self, field: &str) -> Result<usize> {
        let v = self.get(field)?;
        v.as_u64()
            .and_then(|u| usize::try_from(u).ok())
            .ok_or_else(|| self.error(field, format!("expected a non-negative integer, got {v}")))
    }

    /// A signed integer field.
    pub fn isize(&self, field: &str) -> Result<isize> {
        let v = self.get(field)?;
        v.as_i64()
            .and_then(|i| isize::try_from(i).ok())
            .ok_or_else(|| self.error(field, format!("expected an integer, got {v}")))
    }

    /// A finite number field.
    pub fn f32(&self, field: &str) -> Result<f32> {
        let v = self.get(field)?;
        v.as_f64()
            .map(|f| f as f32)
            .filter(|f| f.is_finite())
            .ok_or_else(|| self.error(field, format!("expected a finite number, got {v}")))
    }

    /// A boolean field.
    pub fn bool(&self, field: &str) -> Result<bool> {
        let v = self.get(field)?;
        v.as_bool()
            .ok_or_else(|| self.error(field, format!("expected a boolean, got {v}")))
    }

    /// An optional number: absent or `null` is `None`.
    pub fn opt_f32(&self, field: &str) -> Result<Option<f32>> {
        self.optional(field, Self::f32)
    }

    /// An optional non-negative integer: absent or `null` is `None`.
    pub fn opt_usize(&self, field: &str) -> Result<Option<usize>> {
        self.optional(field, Self::usize)
    }

    /// An optional boolean: absent or `null` is `None`.
    pub fn opt_bool(&self, field: &str) -> Result<Option<bool>> {
        self.optional(field, Self::bool)
    }

    fn optional<T>(
        &self,
        field: &str,
        read: impl Fn(&Self, &str) -> Result<T>,
    ) -> Result<Option<T>> {
        match self.obj.get(field) {
            None | Some(Value::Null) => Ok(None),
            Some(_) => read(self, field).map(Some),
        }
    }

    /// A string field.
    pub fn str(&self, field: &str) -> Result<&str> {
        let v = self.get(field)?;
        v.as_str()
            .ok_or_else(|| self.error(field, format!("expected a string, got {v}")))
    }

    /// An array of non-negative integers.
    pub fn usize_list(&self, field: &str) -> Result<Vec<usize>> {
        let v = self.get(field)?;
        v.as_array()
            .and_then(|a| {
                a.iter()
                    .map(|x| x.as_u64().and_then(|u| usize::try_from(u).ok()))
                    .collect::<Option<Vec<_>>>()
            })
            .ok_or_else(|| {
                self.error(
                    field,
                    format!("expected an array of non-negative integers, got {v}"),
                )
            })
    }

    /// A list of exactly two non-negative integers (`[h, w]` kernels, strides, ...).
    pub fn pair(&self, field: &str) -> Result<(usize, usize)> {
        match self.usize_list(field)?.as_slice() {
            [a, b] => Ok((*a, *b)),
            other => Err(self.error(field, format!("expected 2 integers, got {other:?}"))),
        }
    }

    /// Wraps a constructor error of this layer.
    pub fn invalid(&self, e: ferrograd_core::Error) -> IoError {
        IoError::Format {
            msg: format!(
                "architecture: layer {} ({}): {e}",
                self.path, self.type_name
            ),
        }
    }
}

/// Builds a layer from its validated fields (the registry resolves nested layers).
pub type LayerBuilder =
    Box<dyn Fn(&LayerFields<'_>, &LayerRegistry) -> Result<Box<dyn Module>> + Send + Sync>;

/// Layer constructors by config `type` name.
pub struct LayerRegistry {
    builders: HashMap<String, LayerBuilder>,
}

impl Default for LayerRegistry {
    fn default() -> Self {
        Self::with_builtins()
    }
}

impl LayerRegistry {
    /// A registry without any layer.
    pub fn empty() -> Self {
        LayerRegistry {
            builders: HashMap::new(),
        }
    }

    /// A registry knowing every built-in layer and `Sequential`.
    pub fn with_builtins() -> Self {
        let mut r = Self::empty();
        r.register("Sequential", |f, reg| {
            f.only(&["layers"])?;
            Ok(Box::new(
                reg.build_sequential_at(f.get("layers")?, &f.path)?,
            ))
        });
        r.register("Graph", |f, reg| {
            f.only(&["layers", "nodes", "outputs"])?;
            Ok(Box::new(reg.build_graph_at(f.obj, &f.path)?))
        });
        r.register("Linear", |f, _| {
            f.only(&[
                "in_features",
                "out_features",
                "bias",
                "kernel_l1",
                "kernel_l2",
                "kernel_constraint",
                "kernel_initializer",
                "bias_initializer",
            ])?;
            let mut c = LinearConfig::new(f.usize("in_features")?, f.usize("out_features")?);
            if let Some(v) = f.obj.get("kernel_initializer") {
                c.kernel_initializer = Initializer::from_spec(v).map_err(|e| f.invalid(e))?;
            }
            if let Some(v) = f.obj.get("bias_initializer") {
                c.bias_initializer = Initializer::from_spec(v).map_err(|e| f.invalid(e))?;
            }
            c.bias = f.bool("bias")?;
            if f.obj.contains_key("kernel_l1") {
                c.kernel_l1 = f.f32("kernel_l1")?;
            }
            if f.obj.contains_key("kernel_l2") {
                c.kernel_l2 = f.f32("kernel_l2")?;
            }
            if let Some(v) = f.obj.get("kernel_constraint") {
                c.kernel_constraint = Some(Constraint::from_json(v).map_err(|e| f.invalid(e))?);
            }
            Ok(Box::new(c.init(None).map_err(|e| f.invalid(e))?))
        });
        r.register("Activation", |f, _| {
            f.only(&["activation", "param"])?;
            Ok(Box::new(Activation::new(activation_kind(f)?)))
        });
        r.register("ActivityRegularization", |f, _| {
            f.only(&["l1", "l2", "kl_target", "kl_weight"])?;
            let kl = if f.obj.contains_key("kl_target") {
                Some((f.f32("kl_target")?, f.f32("kl_weight")?))
            } else {
                None
            };
            let layer = ActivityRegularization::new(f.f32("l1")?, f.f32("l2")?, kl);
            Ok(Box::new(layer.map_err(|e| f.invalid(e))?))
        });
        r.register("Dropout", |f, _| {
            f.only(&["p"])?;
            Ok(Box::new(
                Dropout::new(f.f32("p")?).map_err(|e| f.invalid(e))?,
            ))
        });
        r.register("GaussianNoise", |f, _| {
            f.only(&["std"])?;
            Ok(Box::new(
                GaussianNoise::new(f.f32("std")?).map_err(|e| f.invalid(e))?,
            ))
        });
        r.register("BatchNorm1d", |f, _| {
            f.only(&["num_features", "eps", "momentum"])?;
            let bn = BatchNorm1d::new(f.usize("num_features")?, f.f32("eps")?, f.f32("momentum")?);
            Ok(Box::new(bn.map_err(|e| f.invalid(e))?))
        });
        for kind in ["Conv1d", "Conv2d", "ConvTranspose1d", "ConvTranspose2d"] {
            r.register(kind, move |f, _| {
                f.only(&[
                    "in_channels",
                    "out_channels",
                    "kernel",
                    "stride",
                    "dilation",
                    "groups",
                    "bias",
                    "padding",
                    "output_padding",
                    "kernel_initializer",
                    "bias_initializer",
                ])?;
                let mut c = ConvConfig::new(
                    f.usize("in_channels")?,
                    f.usize("out_channels")?,
                    f.pair("kernel")?,
                );
                c.stride = f.pair("stride")?;
                c.dilation = f.pair("dilation")?;
                c.groups = f.usize("groups")?;
                c.bias = f.bool("bias")?;
                let transposed = kind.starts_with("ConvTranspose");
                if transposed {
                    c.padding_t = f.pair("padding")?;
                    c.output_padding = f.pair("output_padding")?;
                } else {
                    let v = f.get("padding")?;
                    c.padding = Padding::from_json(v).ok_or_else(|| {
                        f.error(
                            "padding",
                            format!("expected \"valid\", \"same\" or 4 integers, got {v}"),
                        )
                    })?;
                }
                if let Some(v) = f.obj.get("kernel_initializer") {
                    c.kernel_initializer = Initializer::from_spec(v).map_err(|e| f.invalid(e))?;
                }
                if let Some(v) = f.obj.get("bias_initializer") {
                    c.bias_initializer = Initializer::from_spec(v).map_err(|e| f.invalid(e))?;
                }
                let layer = match kind {
                    "Conv1d" => Conv::conv1d(c, None),
                    "Conv2d" => Conv::conv2d(c, None),
                    "ConvTranspose1d" => Conv::conv_transpose1d(c, None),
                    _ => Conv::conv_transpose2d(c, None),
                };
                Ok(Box::new(layer.map_err(|e| f.invalid(e))?))
            });
        }
        for kind in ["Pool1d", "Pool2d"] {
            r.register(kind, move |f, _| {
                f.only(&[
                    "kind",
                    "kernel",
                    "stride",
                    "padding",
                    "ceil_mode",
                    "count_include_pad",
                ])?;
                let pk = PoolKind::from_name(f.str("kind")?)
                    .ok_or_else(|| f.error("kind", "expected max, avg or sum"))?;
                let mut o = ferrograd_core::Pool2dOptions::new(f.pair("kernel")?);
                o.stride = f.pair("stride")?;
                o.padding = f.pair("padding")?;
                o.ceil_mode = f.bool("ceil_mode")?;
                o.count_include_pad = f.bool("count_include_pad")?;
                let layer = if kind == "Pool1d" {
                    Pool::new_1d(pk, o)
                } else {
                    Pool::new_2d(pk, o)
                };
                Ok(Box::new(layer.map_err(|e| f.invalid(e))?))
            });
        }
        r.register("GlobalPool", |f, _| {
            f.only(&["kind", "channels_last"])?;
            let pk = PoolKind::from_name(f.str("kind")?)
                .ok_or_else(|| f.error("kind", "expected max or avg"))?;
            let layer = if f.opt_bool("channels_last")?.unwrap_or(false) {
                GlobalPool::global_channels_last(pk)
            } else {
                GlobalPool::global(pk)
            };
            Ok(Box::new(layer.map_err(|e| f.invalid(e))?))
        });
        r.register("AdaptivePool2d", |f, _| {
            f.only(&["kind", "output"])?;
            let pk = PoolKind::from_name(f.str("kind")?)
                .ok_or_else(|| f.error("kind", "expected max or avg"))?;
            let (h, w) = f.pair("output")?;
            Ok(Box::new(
                GlobalPool::adaptive(pk, h, w).map_err(|e| f.invalid(e))?,
            ))
        });
        r.register("Upsample", |f, _| {
            f.only(&["scale", "mode"])?;
            let scale = f.pair("scale")?;
            let bilinear = match f.str("mode")? {
                "nearest" => false,
                "bilinear" => true,
                other => {
                    return Err(f.error(
                        "mode",
                        format!("expected nearest or bilinear, got '{other}'"),
                    ))
                }
            };
            Ok(Box::new(
                Upsample::new(scale, bilinear).map_err(|e| f.invalid(e))?,
            ))
        });
        r.register("BatchNorm2d", |f, _| {
            f.only(&["num_features", "eps", "momentum"])?;
            let bn = BatchNorm2d::new(f.usize("num_features")?, f.f32("eps")?, f.f32("momentum")?);
            Ok(Box::new(bn.map_err(|e| f.invalid(e))?))
        });
        r.register("SpatialDropout", |f, _| {
            f.only(&["p"])?;
            Ok(Box::new(
                SpatialDropout::new(f.f32("p")?).map_err(|e| f.invalid(e))?,
            ))
        });
        r.register("LayerNorm", |f, _| {
            f.only(&["normalized_shape", "eps"])?;
            let ln = LayerNorm::new(&f.usize_list("normalized_shape")?, f.f32("eps")?);
            Ok(Box::new(ln.map_err(|e| f.invalid(e))?))
        });
        r.register("Embedding", |f, _| {
            f.only(&[
                "num_embeddings",
                "dim",
                "padding_idx",
                "embeddings_initializer",
            ])?;
            let (n, dim) = (f.usize("num_embeddings")?, f.usize("dim")?);
            let e = match f.obj.get("padding_idx") {
                Some(_) => Embedding::with_padding_idx(n, dim, f.usize("padding_idx")?, None),
                None => Embedding::new(n, dim, None),
            };
            let mut e = e.map_err(|e| f.invalid(e))?;
            if let Some(v) = f.obj.get("embeddings_initializer") {
                let init = Initializer::from_spec(v).map_err(|e| f.invalid(e))?;
                e.initialize_with(init, None).map_err(|e| f.invalid(e))?;
            }
            Ok(Box::new(e))
        });
        r.register("Reshape", |f, _| {
            f.only(&["shape"])?;
            let shape = f.get("shape")?;
            let dims = shape
                .as_array()
                .and_then(|a| {
                    a.iter()
                        .map(|v| v.as_i64().map(|d| d as isize))
                        .collect::<Option<Vec<_>>>()
                })
                .ok_or_else(|| {
                    f.error("shape", format!("expected a list of integers, got {shape}"))
                })?;
            Ok(Box::new(Reshape::new(dims)))
        });
        r.register("Permute", |f, _| {
            f.only(&["dims"])?;
            Ok(Box::new(
                Permute::new(f.usize_list("dims")?).map_err(|e| f.invalid(e))?,
            ))
        });
        r.register("Flatten", |f, _| {
            f.only(&["start", "end"])?;
            Ok(Box::new(Flatten::new(f.isize("start")?, f.isize("end")?)))
        });
        recurrent::register(&mut r);
        attention::register(&mut r);
        r
    }

    /// Adds (or replaces) the constructor of layer type `name`.
    pub fn register<F>(&mut self, name: &str, builder: F)
    where
        F: Fn(&LayerFields<'_>, &LayerRegistry) -> Result<Box<dyn Module>> + Send + Sync + 'static,
    {
        self.builders.insert(name.to_owned(), Box::new(builder));
    }

    /// Builds one layer from `{"type": ..., ...}`; `path` names it in errors.
    pub fn build_layer(&self, config: &Value, path: &str) -> Result<Box<dyn Module>> {
        let err = |msg: String| IoError::Format {
            msg: format!("architecture: layer {path}: {msg}"),
        };
        let obj = config
            .as_object()
            .ok_or_else(|| err(format!("expected an object, got {config}")))?;
        let type_name = obj
            .get("type")
            .and_then(Value::as_str)
            .ok_or_else(|| err("field 'type': missing or not a string".into()))?;
        let builder = self
            .builders
            .get(type_name)
            .ok_or_else(|| err(format!("field 'type': unknown layer type '{type_name}'")))?;
        let fields = LayerFields {
            path: path.to_owned(),
            type_name: type_name.to_owned(),
            obj,
        };
        builder(&fields, self)
    }

    /// Builds a `Sequential` from `{"type": "Sequential", "layers": [...]}`.
    pub fn build_sequential(&self, config: &Value) -> Result<Sequential> {
        let err = |msg: &str| IoError::Format {
            msg: format!("architecture: {msg}"),
        };
        let obj = config
            .as_object()
            .ok_or_else(|| err("expected an object at the top level"))?;
        match obj.get("type").and_then(Value::as_str) {
            Some("Sequential") => {}
            _ => return Err(err("top-level 'type' must be \"Sequential\"")),
        }
        if let Some(k) = obj.keys().find(|k| *k != "type" && *k != "layers") {
            return Err(err(&format!("unknown top-level field '{k}'")));
        }
        let layers = obj
            .get("layers")
            .ok_or_else(|| err("top-level field 'layers' is missing"))?;
        self.build_sequential_at(layers, "")
    }

    /// Builds the top-level model: a `Sequential` or a `Graph` config.
    pub fn build_network(&self, config: &Value) -> Result<Network> {
        let err = |msg: &str| IoError::Format {
            msg: format!("architecture: {msg}"),
        };
        let obj = config
            .as_object()
            .ok_or_else(|| err("expected an object at the top level"))?;
        match obj.get("type").and_then(Value::as_str) {
            Some("Sequential") => Ok(Network::Sequential(self.build_sequential(config)?)),
            Some("Graph") => {
                if let Some(k) = obj
                    .keys()
                    .find(|k| !["type", "layers", "nodes", "outputs"].contains(&k.as_str()))
                {
                    return Err(err(&format!("unknown top-level field '{k}'")));
                }
                Ok(Network::Graph(self.build_graph_at(obj, "")?))
            }
            _ => Err(err("top-level 'type' must be \"Sequential\" or \"Graph\"")),
        }
    }

    /// Builds a `Graph` from its config object (see [`Graph`]'s `config`); layers are named
    /// `prefix.name` in errors.
    fn build_graph_at(&self, obj: &Map<String, Value>, prefix: &str) -> Result<Graph> {
        let at = if prefix.is_empty() {
            "graph".to_owned()
        } else {
            format!("graph {prefix}")
        };
        let err = |msg: String| IoError::Format {
            msg: format!("architecture: {at}: {msg}"),
        };
        let list = |field: &str| -> Result<&Vec<Value>> {
            obj.get(field)
                .and_then(Value::as_array)
                .ok_or_else(|| err(format!("field '{field}' must be an array")))
        };
        let mut layers: Vec<(String, Box<dyn Module>)> = Vec::new();
        let mut layer_index = HashMap::new();
        for entry in list("layers")? {
            let name = entry
                .get("name")
                .and_then(Value::as_str)
                .ok_or_else(|| err(format!("layer entry {entry} has no string 'name'")))?;
            let config = entry
                .get("config")
                .ok_or_else(|| err(format!("layer '{name}' has no 'config'")))?;
            let path = if prefix.is_empty() {
                name.to_owned()
            } else {
                format!("{prefix}.{name}")
            };
            layer_index.insert(name.to_owned(), layers.len());
            layers.push((name.to_owned(), self.build_layer(config, &path)?));
        }
        let mut node_index: HashMap<String, usize> = HashMap::new();
        let mut nodes = Vec::new();
        for entry in list("nodes")? {
            let name = entry
                .get("name")
                .and_then(Value::as_str)
                .ok_or_else(|| err(format!("node {entry} has no string 'name'")))?;
            let op_name = entry
                .get("op")
                .and_then(Value::as_str)
                .ok_or_else(|| err(format!("node '{name}' has no string 'op'")))?;
            let inputs = match entry.get("inputs") {
                None => Vec::new(),
                Some(v) => v
                    .as_array()
                    .ok_or_else(|| err(format!("node '{name}': 'inputs' must be an array")))?
                    .iter()
                    .map(|i| {
                        i.as_str()
                            .and_then(|n| node_index.get(n).copied())
                            .ok_or_else(|| {
                                err(format!(
                                    "node '{name}' reads {i}, which is not an earlier node"
                                ))
                            })
                    })
                    .collect::<Result<Vec<_>>>()?,
            };
            let index = || {
                entry
                    .get("index")
                    .and_then(Value::as_u64)
                    .and_then(|u| usize::try_from(u).ok())
                    .ok_or_else(|| err(format!("{op_name} node '{name}' has no integer 'index'")))
            };
            let op = match op_name {
                "input" => NodeOp::Input(index()?),
                "output" => NodeOp::Output(index()?),
                "layer" => {
                    let layer = entry
                        .get("layer")
                        .and_then(Value::as_str)
                        .ok_or_else(|| err(format!("node '{name}' has no string 'layer'")))?;
                    NodeOp::Layer(*layer_index.get(layer).ok_or_else(|| {
                        err(format!("node '{name}' uses unknown layer '{layer}'"))
                    })?)
                }
                other => {
                    let axis = match entry.get("axis") {
                        None => -1,
                        Some(v) => v
                            .as_i64()
                            .and_then(|a| isize::try_from(a).ok())
                            .ok_or_else(|| {
                                err(format!("node '{name}': 'axis' must be an integer, got {v}"))
                            })?,
                    };
                    NodeOp::Merge(
                        Merge::from_name(other, axis).ok_or_else(|| {
                            err(format!("node '{name}' has unknown op '{other}'"))
                        })?,
                    )
                }
            };
            node_index.insert(name.to_owned(), nodes.len());
            nodes.push(Node {
                name: name.to_owned(),
                op,
                inputs,
            });
        }
        let outputs = list("outputs")?
            .iter()
            .map(|o| {
                o.as_str()
                    .and_then(|n| node_index.get(n).copied())
                    .ok_or_else(|| err(format!("output {o} is not a node name")))
            })
            .collect::<Result<Vec<_>>>()?;
        let names: Vec<String> = layers.iter().map(|(n, _)| n.clone()).collect();
        let mut modules: Vec<Box<dyn Module>> = layers.into_iter().map(|(_, m)| m).collect();
        bind_ties(&mut modules, &names, prefix)?;
        let layers = names.into_iter().zip(modules).collect();
        Graph::new(layers, nodes, outputs).map_err(|e| err(e.to_string()))
    }

    fn build_sequential_at(&self, layers: &Value, prefix: &str) -> Result<Sequential> {
        let list = layers.as_array().ok_or_else(|| IoError::Format {
            msg: format!("architecture: 'layers' of {prefix:?} must be an array"),
        })?;
        let mut out = Vec::with_capacity(list.len());
        for (i, layer) in list.iter().enumerate() {
            let path = if prefix.is_empty() {
                i.to_string()
            } else {
                format!("{prefix}.{i}")
            };
            out.push(self.build_layer(layer, &path)?);
        }
        let names: Vec<String> = (0..out.len()).map(|i| i.to_string()).collect();
        bind_ties(&mut out, &names, prefix)?;
        Ok(Sequential::new(out))
    }
}

/// Gives every layer tied to a sibling (`tied_to`) that sibling's `weight` parameter.
fn bind_ties(layers: &mut [Box<dyn Module>], names: &[String], prefix: &str) -> Result<()> {
    for i in 0..layers.len() {
        let Some(target) = layers[i].tied_to().map(str::to_owned) else {
            continue;
        };
        let err = |msg: String| IoError::Format {
            msg: format!(
                "architecture: layer {}: {msg}",
                if prefix.is_empty() {
                    names[i].clone()
                } else {
                    format!("{prefix}.{}", names[i])
                }
            ),
        };
        let j = names.iter().position(|n| *n == target).ok_or_else(|| {
            err(format!(
                "is tied to '{target}', which is not a layer of this model"
            ))
        })?;
        let mut weight = None;
        layers[j].visit(&mut |name, slot| {
            if let (Slot::Parameter(t), "weight") = (slot, name) {
                weight = Some(t.clone());
            }
        });
        let weight =
            weight.ok_or_else(|| err(format!("is tied to '{target}', which has no 'weight'")))?;
        layers[i]
            .bind_tied(weight)
            .map_err(|e| err(e.to_string()))?;
    }
    Ok(())
}

fn activation_kind(f: &LayerFields<'_>) -> Result<ActivationKind> {
    let name = f.str("activation")?;
    let none = |kind: ActivationKind| -> Result<ActivationKind> {
        match f.obj.get("param") {
            None | Some(Value::Null) => Ok(kind),
            Some(v) => Err(f.error("param", format!("'{name}' takes no parameter, got {v}"))),
        }
    };
    Ok(match name {
        "linear" => none(ActivationKind::Linear)?,
        "tanh" => none(ActivationKind::Tanh)?,
        "relu" => none(ActivationKind::Relu)?,
        "softplus" => none(ActivationKind::Softplus)?,
        "softsign" => none(ActivationKind::Softsign)?,
        "silu" => none(ActivationKind::Silu)?,
        "sigmoid" => ActivationKind::Sigmoid {
            steepness: f.f32("param")?,
        },
        "leaky_relu" => ActivationKind::LeakyRelu {
            alpha: f.f32("param")?,
        },
        "elu" => ActivationKind::Elu {
            alpha: f.f32("param")?,
        },
        "gelu" => ActivationKind::Gelu {
            approximate: f.bool("param")?,
        },
        "softmax" => ActivationKind::Softmax {
            axis: f.isize("param")?,
        },
        "maxout" => ActivationKind::Maxout {
            pieces: f.usize("param")?,
        },
        other => {
            return Err(f.error("activation", format!("unknown activation '{other}'")));
        }
    })
}

/// Rebuilds a freshly initialised [`Sequential`] from its architecture JSON (see
/// [`Module::config`]) using the built-in registry.
pub fn sequential_from_config(config: &Value) -> Result<Sequential> {
    LayerRegistry::with_builtins().build_sequential(config)
}

/// Rebuilds a freshly initialised [`Network`] (a `Sequential` or a `Graph`) from its
/// architecture JSON with the built-in registry.
pub fn network_from_config(config: &Value) -> Result<Network> {
    LayerRegistry::with_builtins().build_network(config)
}

/// Writes `model` (architecture + every parameter and buffer) to `path` as safetensors,
/// atomically. Errors when a layer has no config (custom layer without [`Module::config`]).
pub fn save_model(path: impl AsRef<Path>, model: &dyn Module) -> Result<()> {
    write_model(path, model, Vec::new(), None)
}

/// Alias of [`save_model`], kept for callers that name the module form.
pub fn save_module(path: impl AsRef<Path>, model: &dyn Module) -> Result<()> {
    save_model(path, model)
}

/// The one writer behind every save: architecture + state dict, plus optional extra tensors and
/// a `training` metadata entry.
fn write_model(
    path: impl AsRef<Path>,
    model: &dyn Module,
    extra: Vec<(String, ferrograd_core::Tensor)>,
    training: Option<String>,
) -> Result<()> {
    let arch = model.config().ok_or_else(|| IoError::Format {
        msg: "saveModel: a layer does not report a config (Module::config returned None)".into(),
    })?;
    let mut owned: Vec<(String, ferrograd_core::Tensor)> = state_dict(model).into_iter().collect();
    owned.extend(extra);
    let tensors: Vec<(String, &ferrograd_core::Tensor)> =
        owned.iter().map(|(k, t)| (k.clone(), t)).collect();
    let mut meta = BTreeMap::new();
    meta.insert("format".to_owned(), FORMAT.to_owned());
    meta.insert("version".to_owned(), VERSION.to_owned());
    meta.insert("architecture".to_owned(), arch.to_string());
    if let Some(training) = training {
        meta.insert("training".to_owned(), training);
    }
    save_file(path, &tensors, &meta)
}

/// Reads a model written by [`save_model`], with the built-in layer registry.
pub fn load_model(path: impl AsRef<Path>) -> Result<Network> {
    model_from_safetensors(&load_file(path)?, &LayerRegistry::with_builtins())
}

/// Reads a model from in-memory safetensors bytes (see [`save_model`]).
pub fn load_model_bytes(bytes: &[u8]) -> Result<Network> {
    model_from_safetensors(&deserialize(bytes)?, &LayerRegistry::with_builtins())
}

/// Rebuilds the architecture with `registry` and loads the weights: the file's tensors must be
/// exactly the model's state-dict keys with the same shapes (missing, unexpected and mis-shaped
/// keys are all reported in one error).
pub fn model_from_safetensors(st: &SafeTensors<'_>, registry: &LayerRegistry) -> Result<Network> {
    let meta = st.metadata();
    match meta.get("format").map(String::as_str) {
        Some(FORMAT) => {}
        other => {
            return Err(IoError::Format {
                msg: format!("not a ferrograd model: metadata 'format' is {other:?}"),
            })
        }
    }
    match meta.get("version").map(String::as_str) {
        Some(VERSION) => {}
        other => {
            return Err(IoError::Format {
                msg: format!("unsupported ferrograd model version {other:?} (expected \"1\")"),
            })
        }
    }
    let arch_text = meta.get("architecture").ok_or_else(|| IoError::Format {
        msg: "metadata has no 'architecture'".into(),
    })?;
    let arch: Value = serde_json::from_str(arch_text).map_err(|e| IoError::Format {
        msg: format!("architecture is not valid JSON: {e}"),
    })?;
    let model = registry.build_network(&arch)?;
    let own = state_dict(&model);
    let names: Vec<String> = st.names().into_iter().map(str::to_owned).collect();
    let mut problems = Vec::new();
    for (name, target) in &own {
        match st.info(name) {
            None => problems.push(format!("missing tensor '{name}'")),
            Some(info) if info.shape != target.dims() => problems.push(format!(
                "tensor '{name}' has shape {:?}, the architecture needs {:?}",
                info.shape,
                target.dims()
            )),
            Some(_) => {}
        }
    }
    for name in &names {
        if !own.contains_key(name) && !name.starts_with(OPTIMIZER_PREFIX) {
            problems.push(format!("unexpected tensor '{name}'"));
        }
    }
    if !problems.is_empty() {
        return Err(IoError::Format {
            msg: format!(
                "weights do not match the architecture: {}",
                problems.join("; ")
            ),
        });
    }
    for (name, target) in &own {
        target.assign_data(&st.get(name)?.to_vec())?;
    }
    Ok(model)
}

/// Prefix of the tensors holding optimizer state in a model file (ignored by [`load_model`]).
pub const OPTIMIZER_PREFIX: &str = "__optimizer__/";

/// What a model file can carry besides the weights so that training resumes exactly: the
/// `compile` specification (opaque JSON chosen by the caller) and the optimizer state.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainingState {
    /// How the model was compiled (optimizer, loss, metrics, schedule), as the binding wrote it.
    pub compile: Value,
    /// Buffers and step counts of the optimizer.
    pub optimizer: crate::optim::OptimizerState,
}

/// Like [`save_model`], plus optional training state: each optimizer buffer becomes a tensor
/// `__optimizer__/<group>/<param>/<buffer>` and the metadata key `training` describes them.
pub fn save_model_with_training(
    path: impl AsRef<Path>,
    model: &dyn Module,
    training: Option<&TrainingState>,
) -> Result<()> {
    let Some(training) = training else {
        return save_model(path, model);
    };
    let mut owned: Vec<(String, ferrograd_core::Tensor)> = Vec::new();
    let mut groups = Vec::new();
    for (g, group) in training.optimizer.groups.iter().enumerate() {
        let mut params = Vec::new();
        for (p, param) in group.params.iter().enumerate() {
            match param {
                None => params.push(Value::Null),
                Some(ps) => {
                    let mut names = Vec::new();
                    for (name, data) in &ps.buffers {
                        let t = ferrograd_core::Tensor::from_vec(data.clone(), &[data.len()])?;
                        owned.push((format!("{OPTIMIZER_PREFIX}{g}/{p}/{name}"), t));
                        names.push(Value::String(name.clone()));
                    }
                    params.push(serde_json::json!({"step": ps.step, "buffers": names}));
                }
            }
        }
        groups.push(serde_json::json!({"lr": group.lr, "params": params}));
    }
    let description = serde_json::json!({
        "compile": training.compile,
        "algorithm": training.optimizer.algorithm,
        "groups": groups,
    });
    write_model(path, model, owned, Some(description.to_string()))
}

/// Reads a model and, when the file has one, its training state (see [`save_model_with_training`]).
pub fn load_model_with_training(
    path: impl AsRef<Path>,
) -> Result<(Network, Option<TrainingState>)> {
    let st = load_file(path)?;
    let model = model_from_safetensors(&st, &LayerRegistry::with_builtins())?;
    Ok((model, training_state_from_safetensors(&st)?))
}

fn training_state_from_safetensors(st: &SafeTensors<'_>) -> Result<Option<TrainingState>> {
    let Some(text) = st.metadata().get("training") else {
        return Ok(None);
    };
    let bad = |msg: String| IoError::Format {
        msg: format!("training state: {msg}"),
    };
    let v: Value = serde_json::from_str(text).map_err(|e| bad(format!("invalid JSON: {e}")))?;
    let algorithm = v
        .get("algorithm")
        .and_then(Value::as_str)
        .ok_or_else(|| bad("missing 'algorithm'".into()))?;
    let groups_json = v
        .get("groups")
        .and_then(Value::as_array)
        .ok_or_else(|| bad("missing 'groups'".into()))?;
    let mut groups = Vec::new();
    for (g, group) in groups_json.iter().enumerate() {
        let lr = group
            .get("lr")
            .and_then(Value::as_f64)
            .ok_or_else(|| bad(format!("group {g} has no 'lr'")))? as f32;
        let params_json = group
            .get("params")
            .and_then(Value::as_array)
            .ok_or_else(|| bad(format!("group {g} has no 'params'")))?;
        let mut params = Vec::new();
        for (p, param) in params_json.iter().enumerate() {
            if param.is_null() {
                params.push(None);
                continue;
            }
            let step = param
                .get("step")
                .and_then(Value::as_u64)
                .ok_or_else(|| bad(format!("param {g}/{p} has no 'step'")))?;
            let names = param
                .get("buffers")
                .and_then(Value::as_array)
                .ok_or_else(|| bad(format!("param {g}/{p} has no 'buffers'")))?;
            let mut buffers = Vec::new();
            for name in names {
                let name = name
                    .as_str()
                    .ok_or_else(|| bad(format!("param {g}/{p}: buffer names must be strings")))?;
                let tensor = st.get(&format!("{OPTIMIZER_PREFIX}{g}/{p}/{name}"))?;
                buffers.push((name.to_owned(), tensor.to_vec()));
            }
            params.push(Some(crate::optim::ParamState { step, buffers }));
        }
        groups.push(crate::optim::GroupState { lr, params });
    }
    Ok(Some(TrainingState {
        compile: v.get("compile").cloned().unwrap_or(Value::Null),
        optimizer: crate::optim::OptimizerState {
            algorithm: algorithm.to_owned(),
            groups,
        },
    }))
}
