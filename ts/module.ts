import './internal/dispose';

import { ValueError } from './errors';
import { Initializer, initialize } from './initializers';
import { History, Model, Tensors } from './model';
import { LoadStateDictOptions, LoadStateDictResult, StateDict, StateEntry, loadState, loadWeightsFile, saveWeightsFile, snapshot } from './module_state';
import { ModuleCompileArgs, ModuleFitArgs, ModuleTrainer } from './module_fit';
import { predictModule } from './module_step';
import { Optimizer } from './optimizers';
import { Tensor } from './tensor';

/** What a {@link Module} can hold as a child: another custom module or a native {@link Model} (a `sequential` or functional model). */
export type ModuleChild = Module | Model<Tensors>;

/** One module's own entries: parameters, buffers and direct children, by local name. */
interface Level {
  params: Array<[string, Tensor]>;
  buffers: Array<[string, Tensor]>;
  children: Array<[string, ModuleChild]>;
}

/** A node of the tree traversal: a named tensor or a named child. */
type TreeNode = TensorNode | { kind: 'child'; name: string; child: ModuleChild };
type TensorNode = { kind: 'parameter' | 'buffer'; name: string; tensor: Tensor };

/** Tensor fields already made parameters: adoption sets `requiresGrad` once, so freezing sticks. */
const adopted = new WeakSet<Tensor>();

const isChild = (v: unknown): v is ModuleChild => v instanceof Module || v instanceof Model;

function checkName(op: string, name: string): void {
  if (typeof name !== 'string' || name === '' || name.includes('.')) {
    throw new ValueError(`${op}: name must be a non-empty string without '.', got '${String(name)}'`);
  }
}

/**
 * Base class of custom models written in TypeScript, like PyTorch's `nn.Module`: `forward` is
 * ordinary code on eager tensor ops (autograd records it), and the module finds its parameters
 * and children by itself.
 *
 * What is registered:
 * - parameters from {@link Module.addParameter} / {@link Module.parameter}, and every own field
 *   holding a leaf {@link Tensor} (it is made to require grad the first time it is found; op
 *   results stored on fields, such as cached activations, are ignored);
 * - buffers (saved, not trained) from {@link Module.addBuffer};
 * - children: own fields holding a `Module` or a native {@link Model} (e.g. a `Sequential`), arrays of them (named
 *   `field.0`, `field.1`, ...; arrays of tensors become parameters the same way), and
 *   {@link Module.addModule}.
 *
 * Discovery runs whenever the tree is queried, so fields assigned after `super()` are seen. Names
 * are dotted paths in declaration order, own parameters first (`fc1.0.weight`); a module or
 * tensor reachable twice (tied weights) is listed once, under its first name.
 *
 * Training: {@link Module.compile} then {@link Module.fit} (the same `History` as
 * `Sequential.fit`), {@link Module.evaluate}, {@link Module.predict}, {@link Module.trainStep}.
 * Because `forward` is JavaScript, every batch runs synchronously on the calling thread (as in
 * PyTorch); `fit` yields to the event loop between batches so timers, I/O and `AbortSignal`
 * keep working. To keep a server's main thread free during heavy training, run the module inside
 * a `worker_threads` Worker: the native addon loads in workers, each with its own tensors.
 *
 * Memory: every tensor created during a training, evaluation or prediction step (inside `forward`
 * and the loss too) is disposed when the step ends, so long runs stay flat without waiting for the
 * garbage collector. Parameters, buffers and tensors held by module fields (directly or in arrays)
 * are kept; a tensor that a step stored on a field (a cached activation) is disposed at the end of
 * the first later step in which no field holds it. Keep no other references to tensors made inside
 * `forward` beyond a step: create constants in the constructor or register them as buffers.
 *
 * @example
 * ```ts
 * class Mlp extends Module {
 *   w1 = this.parameter('w1', [4, 16], 'glorotUniform');
 *   b1 = this.parameter('b1', [16], 'zeros');
 *   head = sequential([layers.dense({ units: 3 })], { inputShape: [16] });
 *   forward(x: Tensor): Tensor {
 *     return this.head.forward(x.matmul(this.w1).add(this.b1).relu());
 *   }
 * }
 * const model = new Mlp();
 * model.compile({ optimizer: { type: 'adam', lr: 1e-2 }, loss: { type: 'sparseCategoricalCrossentropy', fromLogits: true }, metrics: ['accuracy'] });
 * const history = await model.fit(x, y, { epochs: 50, batchSize: 16 });
 * ```
 */
export abstract class Module implements Disposable {
  readonly #params = new Map<string, Tensor>();
  readonly #buffers = new Map<string, Tensor>();
  readonly #modules = new Map<string, ModuleChild>();
  #training = true;
  #trainer: ModuleTrainer | undefined;
  #disposed = false;

  /**
   * The computation, on eager tensor ops. Subclasses declare their own inputs
   * (`forward(x: Tensor): Tensor`); `fit`, `evaluate` and `predict` call it with one batch.
   */
  abstract forward(...inputs: Tensor[]): Tensor;

  /** Runs {@link Module.forward} (PyTorch's `module(x)`). */
  call(...inputs: Tensor[]): Tensor {
    return this.forward(...inputs);
  }

  // ---- registration ----------------------------------------------------------------------

  /** Registers `tensor` (a leaf) as the parameter `name`, makes it require grad, and returns it. */
  addParameter(name: string, tensor: Tensor): Tensor {
    const op = `${this.constructor.name}.addParameter`;
    this.#checkFree(op, name);
    if (!(tensor instanceof Tensor)) throw new ValueError(`${op}: '${name}' must be a Tensor`);
    if (!tensor.isLeaf) throw new ValueError(`${op}: '${name}' is the result of an op, not a leaf; register t.detach() instead`);
    tensor.requiresGrad = true;
    adopted.add(tensor);
    this.#params.set(name, tensor);
    return tensor;
  }

  /** Creates a parameter of `shape` drawn by `init` (default `'glorotUniform'`), registers it as `name` and returns it. */
  parameter(name: string, shape: number[], init: Initializer = 'glorotUniform'): Tensor {
    return this.addParameter(name, initialize(shape, init, `${this.constructor.name}.parameter('${name}')`));
  }

  /** Registers a non-trained tensor (running statistics, constants) saved in {@link Module.stateDict}; returns it. */
  addBuffer(name: string, tensor: Tensor): Tensor {
    const op = `${this.constructor.name}.addBuffer`;
    this.#checkFree(op, name);
    if (!(tensor instanceof Tensor)) throw new ValueError(`${op}: '${name}' must be a Tensor`);
    this.#buffers.set(name, tensor);
    return tensor;
  }

  /** Registers a child under an explicit name (for names computed at run time); returns it. */
  addModule<T extends ModuleChild>(name: string, child: T): T {
    const op = `${this.constructor.name}.addModule`;
    this.#checkFree(op, name);
    if (!isChild(child)) throw new ValueError(`${op}: '${name}' must be a Module or a native Model`);
    this.#modules.set(name, child);
    return child;
  }

  #checkFree(op: string, name: string): void {
    checkName(op, name);
    if (this.#params.has(name) || this.#buffers.has(name) || this.#modules.has(name)) {
      throw new ValueError(`${op}: '${name}' is already registered`);
    }
  }

  // ---- traversal -------------------------------------------------------------------------

  /** This module's own parameters, buffers and children: the registered ones, then the fields. */
  #level(): Level {
    const level: Level = { params: [...this.#params], buffers: [...this.#buffers], children: [...this.#modules] };
    const registered = new Set<unknown>([...this.#params.values(), ...this.#buffers.values(), ...this.#modules.values()]);
    const add = (name: string, value: unknown): void => {
      if (registered.has(value)) return;
      if (isChild(value)) level.children.push([name, value]);
      else if (value instanceof Tensor && !value.isDisposed && value.isLeaf) {
        if (!adopted.has(value)) {
          value.requiresGrad = true;
          adopted.add(value);
        }
        level.params.push([name, value]);
      }
    };
    for (const [key, value] of Object.entries(this)) {
      if (Array.isArray(value)) value.forEach((v: unknown, i) => add(`${key}.${i}`, v));
      else add(key, value);
    }
    return level;
  }

  /**
   * Preorder walk with dotted names; `seen` lists each module and tensor once (shared ones,
   * cycles). `natives` adds the parameters of native children (a napi call each).
   */
  #walk(prefix: string, seen: Set<object>, out: TreeNode[], natives: boolean): void {
    const level = this.#level();
    for (const [kind, list] of [['parameter', level.params], ['buffer', level.buffers]] as const) {
      for (const [name, tensor] of list) {
        if (seen.has(tensor)) continue;
        seen.add(tensor);
        out.push({ kind, name: prefix + name, tensor });
      }
    }
    for (const [name, child] of level.children) {
      if (seen.has(child)) continue;
      seen.add(child);
      out.push({ kind: 'child', name: prefix + name, child });
      if (child instanceof Module) child.#walk(`${prefix}${name}.`, seen, out, natives);
      else if (natives) for (const [n, t] of child.namedParameters()) out.push({ kind: 'parameter', name: `${prefix}${name}.${n}`, tensor: t });
    }
  }

  #nodes(natives = true): TreeNode[] {
    const out: TreeNode[] = [];
    this.#walk('', new Set<object>([this]), out, natives);
    const names = new Set<string>();
    for (const node of out) {
      if (names.has(node.name)) throw new ValueError(`${this.constructor.name}: two entries are named '${node.name}'`);
      names.add(node.name);
    }
    return out;
  }

  #named(kind: 'parameter' | 'buffer'): Array<[string, Tensor]> {
    const out: Array<[string, Tensor]> = [];
    for (const node of this.#nodes()) if (node.kind === kind) out.push([node.name, node.tensor]);
    return out;
  }

  /** Every parameter of the tree with its dotted name (`'fc1.0.weight'`), own parameters first. */
  namedParameters(): Array<[string, Tensor]> {
    return this.#named('parameter');
  }

  /** Every parameter of the tree (the live tensors: updates are visible through them). */
  parameters(): Tensor[] {
    return this.namedParameters().map(([, t]) => t);
  }

  /** Every buffer of the tree with its dotted name. */
  namedBuffers(): Array<[string, Tensor]> {
    return this.#named('buffer');
  }

  /** Every buffer of the tree. */
  buffers(): Tensor[] {
    return this.namedBuffers().map(([, t]) => t);
  }

  /** The direct children with their names (a child held under two names is listed once). */
  namedChildren(): Array<[string, ModuleChild]> {
    const out: Array<[string, ModuleChild]> = [];
    const seen = new Set<ModuleChild>();
    for (const [name, child] of this.#level().children) {
      if (seen.has(child)) continue;
      seen.add(child);
      out.push([name, child]);
    }
    return out;
  }

  /** Every descendant module (children, grandchildren, ...) with its dotted name, in preorder. */
  namedModules(): Array<[string, ModuleChild]> {
    const out: Array<[string, ModuleChild]> = [];
    for (const node of this.#nodes()) if (node.kind === 'child') out.push([node.name, node.child]);
    return out;
  }

  /**
   * Every tensor a step must not dispose: parameters, buffers and all tensors on fields of the tree.
   * @internal
   */
  retainedTensors(): Set<Tensor> {
    const kept = new Set<Tensor>();
    const visit = (m: Module, seen: Set<Module>): void => {
      if (seen.has(m)) return;
      seen.add(m);
      for (const t of [...m.#params.values(), ...m.#buffers.values()]) kept.add(t);
      for (const value of [...Object.values(m), ...m.#modules.values()]) {
        for (const v of Array.isArray(value) ? (value as unknown[]) : [value]) {
          if (v instanceof Tensor) kept.add(v);
          else if (v instanceof Module) visit(v, seen);
        }
      }
    };
    visit(this, new Set());
    return kept;
  }

  // ---- modes -----------------------------------------------------------------------------

  /** Whether the module is in training mode (the default, as PyTorch). */
  get training(): boolean {
    return this.#training;
  }

  /** Training mode (`mode = true`) or inference mode for this module and every descendant (dropout, batch statistics). */
  train(mode = true): this {
    this.#training = mode;
    for (const node of this.#nodes(false)) {
      if (node.kind !== 'child') continue;
      if (node.child instanceof Module) node.child.#training = mode;
      else if (mode) node.child.train();
      else node.child.eval();
    }
    return this;
  }

  /** Inference mode for the whole tree (`train(false)`). */
  eval(): this {
    return this.train(false);
  }

  /** `true` when every parameter of the tree is trainable. */
  get trainable(): boolean {
    return this.parameters().every((p) => p.requiresGrad);
  }

  /**
   * Freezes (`false`) or unfreezes (`true`) every parameter of the tree. Frozen parameters get no
   * gradient, so the optimizer skips them (their optimizer state does not advance).
   */
  set trainable(value: boolean) {
    for (const node of this.#nodes()) {
      if (node.kind === 'child' && node.child instanceof Model) node.child.trainable = value;
      if (node.kind !== 'parameter') continue;
      node.tensor.requiresGrad = value;
      if (!value) node.tensor.zeroGrad();
    }
  }

  // ---- inspection ------------------------------------------------------------------------

  /** Number of parameter elements (optionally only trainable ones). */
  countParams(options: { trainableOnly?: boolean } = {}): number {
    return this.parameters()
      .filter((p) => !options.trainableOnly || p.requiresGrad)
      .reduce((n, p) => n + p.size, 0);
  }

  /**
   * A table of the tree: one row per descendant module (dotted name, type, parameter count
   * including its own descendants), the module's own parameters, and the totals.
   */
  summary(): string {
    const nodes = this.#nodes();
    const params = nodes.filter((n): n is TensorNode => n.kind === 'parameter');
    const within = (prefix: string): number => params.filter((p) => p.name.startsWith(prefix)).reduce((s, p) => s + p.tensor.size, 0);
    const rows: Array<[string, string, string]> = [['Name', 'Type', 'Params']];
    for (const node of nodes) {
      if (node.kind === 'child') rows.push([node.name, node.child instanceof Module ? node.child.constructor.name : node.child.constructor.name, String(within(`${node.name}.`))]);
    }
    const own = params.filter((p) => !nodes.some((n) => n.kind === 'child' && p.name.startsWith(`${n.name}.`)));
    for (const p of own) rows.push([p.name, `Parameter [${p.tensor.shape.join(', ')}]`, String(p.tensor.size)]);
    const widths = [0, 1].map((c) => Math.max(...rows.map((r) => r[c]!.length)) + 2);
    const lines = rows.map(([a, b, c]) => a.padEnd(widths[0]!) + b.padEnd(widths[1]!) + c);
    const total = this.countParams();
    const trainable = this.countParams({ trainableOnly: true });
    return [this.constructor.name, ...lines, `Total params: ${total} (trainable ${trainable}, frozen ${total - trainable})`].join('\n');
  }

  // ---- state -----------------------------------------------------------------------------

  /** Copies of every parameter and buffer by dotted name (as PyTorch's `state_dict()`). */
  stateDict(): StateDict {
    return snapshot([...this.namedParameters(), ...this.namedBuffers()]);
  }

  /**
   * Copies values into the parameters and buffers, in place. Values are {@link StateEntry}s (as
   * {@link Module.stateDict} returns) or tensors (`Object.fromEntries(seq.namedParameters())`).
   * Everything is validated before anything is written: missing or unexpected names throw a
   * `ValueError` (unless `strict: false`), mismatched shapes a `ShapeError`, naming every offender.
   */
  loadStateDict(state: Record<string, StateEntry | Tensor>, options: LoadStateDictOptions = {}): LoadStateDictResult {
    const target = [...this.namedParameters(), ...this.namedBuffers()];
    return loadState(`${this.constructor.name}.loadStateDict`, target, state, options.strict ?? true);
  }

  /**
   * Writes the state dict (parameters and buffers by dotted name) to a safetensors file, off
   * the JS thread and atomically (temp file + rename). The file loads in Python with
   * `safetensors.torch.load_file`, and back with {@link Module.loadWeights}.
   */
  async saveWeights(path: string): Promise<void> {
    await saveWeightsFile(path, [...this.namedParameters(), ...this.namedBuffers()]);
  }

  /**
   * Reads a safetensors file (written by {@link Module.saveWeights}, or by PyTorch with matching
   * names) off the JS thread and loads it like {@link Module.loadStateDict}: validated names
   * and shapes, nothing written on error.
   */
  async loadWeights(path: string, options: LoadStateDictOptions = {}): Promise<LoadStateDictResult> {
    return loadWeightsFile(`${this.constructor.name}.loadWeights`, path, [...this.namedParameters(), ...this.namedBuffers()], options.strict ?? true);
  }

  // ---- training --------------------------------------------------------------------------

  /**
   * Attaches an optimizer over the current parameters (frozen ones included, so unfreezing later
   * works), a loss and metrics; resets optimizer state. Call it after the module is built.
   */
  compile(args: ModuleCompileArgs): void {
    this.#trainer = new ModuleTrainer(this, args);
  }

  /** The optimizer attached by {@link Module.compile} (e.g. to change `lr` from a callback). */
  get optimizer(): Optimizer | undefined {
    return this.#trainer?.optimizer;
  }

  #compiled(op: string): ModuleTrainer {
    if (this.#trainer === undefined) throw new ValueError(`${this.constructor.name}.${op}: call compile() first`);
    return this.#trainer;
  }

  /**
   * Trains on `(x, y)` batch by batch on this thread, yielding to the event loop between batches;
   * resolves to the same {@link History} as `Sequential.fit`. Shuffling uses the native fit's
   * permutation (`permutation(n, seed + epoch)`), so runs are reproducible and match it. The
   * module is left in eval mode. Each batch blocks this thread while it runs: for heavy training
   * in a process that must stay responsive, construct and fit the module inside a
   * `worker_threads` Worker (the addon loads there too).
   */
  async fit(x: Tensor, y: Tensor, args: ModuleFitArgs = {}): Promise<History> {
    return this.#compiled('fit').fit(x, y, args);
  }

  /** Loss and metrics on `(x, y)` in eval mode without autograd (previous mode restored). */
  async evaluate(x: Tensor, y: Tensor, args: { batchSize?: number } = {}): Promise<Record<string, number>> {
    return this.#compiled('evaluate').evaluate(x, y, args.batchSize ?? 32, `${this.constructor.name}.evaluate`);
  }

  /** Outputs for `x`, in batches, in eval mode without autograd (previous mode restored); needs no compile. */
  async predict(x: Tensor, args: { batchSize?: number } = {}): Promise<Tensor> {
    return predictModule(this, x, args.batchSize ?? 32);
  }

  /** One optimizer step on the batch `(x, y)` in training mode; returns the loss before the update. */
  trainStep(x: Tensor, y: Tensor): number {
    return this.#compiled('trainStep').trainStep(x, y);
  }

  // ---- lifetime --------------------------------------------------------------------------

  /** Releases every parameter, buffer and child (native models included). Idempotent. */
  dispose(): void {
    if (this.#disposed) return;
    const nodes = this.#nodes();
    this.#disposed = true;
    for (const node of nodes) {
      if (node.kind === 'child') {
        if (node.child instanceof Model) node.child.dispose();
      } else {
        node.tensor.dispose();
      }
    }
    this.#trainer = undefined;
  }

  /** Called by `using` declarations. */
  [Symbol.dispose](): void {
    this.dispose();
  }
}
