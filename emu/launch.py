"""The public launch API: ``emu.GPU(preset).launch(kernel, grid, block, args)``.

A launch compiles the kernel to PTX for the preset's compute capability
(cached), parses and decodes it (cached per PTX text and entry), copies the
arguments into a fresh device memory image, runs the engine over all CTAs
and, only if the kernel completed without a fault, copies every array back
into the caller's numpy arrays. A fault leaves the caller's arrays untouched.
"""
from __future__ import annotations

import hashlib
import linecache
import os
import struct
from dataclasses import dataclass

import numpy as np

from emu.arch.presets import GPUPreset, get_preset, load_preset, sm_number
from emu.engine import state
from emu.engine import layout as L
from emu.engine.memory import Allocation, DeviceMemory, LaunchMemory
from emu.errors import KernelArgumentError, KernelFault, LaunchError, PtxasError
from emu.arch.occupancy import Occupancy, occupancy_for_launch
from emu.frontend import CompiledKernel, compile_cuda_source, compile_numba_kernel, load_ptx, ptxas_resources
from emu.frontend.exceptions import kernel_exception
from emu.frontend.kernel import address_params
from emu.isa.fragments import SHAPES
from emu.isa.table import CLASSES
from emu.program.decode import Program, decode
from emu.ptx import ir
from emu.ptx.parser import parse_ptx
from emu.report.printf import format_printf
from emu.report.report import Report
from emu.timing.report import timing_report
from emu.timing.simulate import Timed, active_sms, plan_sample, simulate

DEFAULT_BUDGET = 2_000_000_000      # warp instructions before a launch is called runaway
MODES = ("timing", "functional", "sampled")


def reference_mode() -> int:
    """1 when EMU_REFERENCE=1: the engine runs no fast path, only its per-lane definitions (read at each launch)."""
    return 1 if os.environ.get("EMU_REFERENCE", "0") not in ("", "0") else 0


class CudaSource:
    """CUDA C++ source of one kernel, compiled through NVRTC for the GPU it is launched on."""

    def __init__(self, source: str, name: str | None = None, options=(), filename: str = "kernel.cu"):
        self.source, self.name, self.options, self.filename = source, name, tuple(options), filename

    def compile(self, cc) -> CompiledKernel:
        return compile_cuda_source(self.source, self.name, cc, self.options, filename=self.filename)


class PtxSource:
    """Raw PTX text (or a .ptx path) and the entry to run."""

    def __init__(self, text_or_path, entry: str | None = None):
        self.text_or_path, self.entry = text_or_path, entry

    def compile(self, cc) -> CompiledKernel:
        return load_ptx(self.text_or_path, self.entry, cc)


def compile_cuda(source: str, name: str | None = None, options=(), filename: str = "kernel.cu") -> CudaSource:
    """A CUDA C++ kernel for ``GPU.launch``: ``emu.compile_cuda(VECTOR_ADD_SRC, "vectorAdd")``."""
    return CudaSource(source, name, options, filename)


def ptx_kernel(text_or_path, entry: str | None = None) -> PtxSource:
    """A kernel given as PTX text or a .ptx file, for ``GPU.launch``."""
    return PtxSource(text_or_path, entry)


@dataclass
class Run:
    """The result of one launch."""
    report: Report
    kernel: CompiledKernel
    program: Program
    printed: list              # lines printed by the kernel
    instruction_counts: np.ndarray   # warp instructions executed per decoded pc (program.sources[pc])

    def __repr__(self):
        r = self.report
        return (f"Run(kernel={r.kernel!r}, gpu={r.gpu!r}, grid={r.grid}, block={r.block}, "
                f"warp_instructions={r.warp_instructions:,}, simt_efficiency={r.simt_efficiency:.0%}, "
                f"printed={len(self.printed)} lines, emulation_seconds={r.emulation_seconds:.3g})")


@dataclass
class Prepared:
    """A launch laid out on its machine (``GPU.prepare``): run ``machine``, then ``finish``."""
    preset: GPUPreset
    kernel: CompiledKernel
    program: Program
    memory: LaunchMemory
    machine: state.Machine
    copies: list               # [(caller's array, its allocation)]
    grid: tuple
    block: tuple
    args: tuple

    mode: str = "functional"
    occupancy: Occupancy | None = None     # timing mode
    registers_per_thread: int | None = None   # timing mode: as ptxas allocates them
    sample: tuple | None = None            # sampled mode: (SMs, CTAs) simulated (simulate.plan_sample)

    def run(self, progress=None) -> Run:
        """Run the launch in its mode and finish it; ``progress(machine)`` is called now and then."""
        if self.mode == "functional":
            return self.finish(self.machine.run(progress))
        timed = simulate(self.machine, self.preset, self.program, int(self.machine.grid[L.G_TOTAL_SMEM]),
                         self.sample, progress)
        return self.finish(timed.seconds, timed)

    def finish(self, elapsed: float, timed: Timed | None = None) -> Run:
        """Print what the kernel printed; raise its fault, or copy the arrays back and report."""
        stats, counts, _, printmeta, printbuf, nprint = self.machine.out
        err = self.machine.fault()
        printed = format_printf(self.machine.memory.mem, self.memory, printmeta[:nprint[0]], printbuf,
                                int(nprint[1]))
        for line in printed:
            print(line, end="" if line.endswith("\n") else "\n")
        if err[L.E_CODE] != L.ERR_NONE:
            raise _fault(err, self.kernel, self.program, self.memory, self.grid, self.block, self.args, self.copies)
        # On device memory a debug kernel's error code stays there for the host to read, as numba's launch does.
        if self.memory.device is None and (raised := kernel_exception(
                self.kernel, self.program, lambda at, size: self.memory.buffer[at - L.GLOBAL_BASE:][:size])):
            raise raised
        if timed is None or timed.sample is None:      # a sample computed only part of the results
            for array, alloc in self.copies:
                _copy_back(array, self.memory.read(alloc))
            if self.memory.device is not None:
                self.memory.write_back()
        report = _report(self.kernel, self.preset, self.grid, self.block, stats, counts, self.program, elapsed)
        if timed is not None:
            report = timing_report(report, timed, self.preset, self.occupancy, self.registers_per_thread,
                                   int(self.machine.grid[L.G_TOTAL_SMEM]), self.program, _source_of)
        return Run(report=report, kernel=self.kernel, program=self.program, printed=printed,
                   instruction_counts=counts)


@dataclass
class _Loaded:
    module: ir.Module
    program: Program
    globals: list              # [(Variable, init bytes)] in heap order


_loaded_cache: dict = {}


def _dim3(value, what: str) -> tuple:
    if isinstance(value, (int, np.integer)):
        dims = (int(value), 1, 1)
    else:
        dims = tuple(int(v) for v in value) + (1,) * (3 - len(tuple(value)))
    if len(dims) != 3 or any(d < 1 for d in dims):
        raise LaunchError(f"invalid {what} dimensions {value!r}: each must be a positive integer (at most 3)")
    return dims


def _init_bytes(var: ir.Variable) -> bytes | None:
    if var.init is None:
        return None
    out = bytearray()
    size = var.elem_size
    for item in var.init:
        value = item.value if isinstance(item, ir.Imm) else int(item)
        out += (value & ((1 << (8 * size)) - 1)).to_bytes(size, "little")
    return bytes(out).ljust(var.size_bytes, b"\0")


def _load(kernel: CompiledKernel, device_memory: DeviceMemory | None = None) -> _Loaded:
    """The kernel parsed and decoded. Its module's globals are placed at the start of each launch's
    memory (``globals`` lists them), or, on ``device_memory``, once and for good (``globals`` is empty)."""
    digest = hashlib.sha256(kernel.ptx.encode()).hexdigest()
    cache = _loaded_cache if device_memory is None else device_memory.loaded
    loaded = cache.get((digest, kernel.entry))
    if loaded is None:
        module = parse_ptx(kernel.ptx)
        placed: list = []
        if device_memory is None:
            probe = LaunchMemory()

            def global_address(var: ir.Variable) -> int:
                placed.append((var, _init_bytes(var)))
                return probe.allocate(var.name, var.size_bytes).address
        else:
            resident = device_memory.module_globals.setdefault(digest, {})

            def global_address(var: ir.Variable) -> int:
                if var.name not in resident:
                    resident[var.name] = device_memory.allocate(var.name, var.size_bytes, _init_bytes(var))
                return resident[var.name].address

        program = decode(module, kernel.entry, global_address)
        loaded = _Loaded(module, program, placed)
        cache[(digest, kernel.entry)] = loaded
    return loaded


def load_module(kernel: CompiledKernel, device_memory: DeviceMemory) -> dict[str, Allocation]:
    """Load ``kernel`` into ``device_memory`` as cuModuleLoad does: its module's globals get addresses
    there that stay for later launches (and for the host to read, like numba's error codes); by name."""
    _load(kernel, device_memory)
    return device_memory.module_globals[hashlib.sha256(kernel.ptx.encode()).hexdigest()]


class GPU:
    """An emulated GPU: ``emu.GPU("sm_80")`` (or "a100", "v100", "t4", "h100", "h200", "sm_70", "sm_75", "sm_90")."""

    def __init__(self, preset: str | GPUPreset = "sm_80"):
        self.preset = preset if isinstance(preset, GPUPreset) else get_preset(preset)

    @classmethod
    def from_file(cls, path) -> "GPU":
        """A GPU whose preset is a TOML file: a base preset and the numbers it overrides (``load_preset``)."""
        return cls(load_preset(path))

    def __repr__(self):
        return f"emu.GPU({self.preset.sm!r})  # {self.preset.name}"

    def compile(self, kernel, args=()) -> CompiledKernel:
        """The kernel's PTX for this GPU (numba kernels are typed from ``args``)."""
        if isinstance(kernel, (CudaSource, PtxSource)):
            return kernel.compile(self.preset.cc)
        if isinstance(kernel, CompiledKernel):
            return kernel
        return compile_numba_kernel(kernel, args, self.preset.cc)

    def prepare(self, kernel, grid, block, args=(), shared_mem: int = 0, budget: int = DEFAULT_BUDGET,
                mode: str = "timing", *, device_memory: DeviceMemory | None = None,
                cooperative: bool = False) -> "Prepared":
        """Compile, check and lay out a launch: the machine the engine runs, before it runs.

        ``mode="timing"`` (the default) runs it under the cycle model (``emu.timing``), with as many
        CTAs resident per SM as occupancy allows; ``"functional"`` runs it as fast as the engine can,
        with no cycles. Both compute the same results. On ``device_memory`` (``emu.dropin``), the
        allocations there keep their addresses and contents across launches: arguments may be their
        addresses, the module's globals live there too, and the launch writes its results back to it
        (unless it faults). A ``cooperative`` launch keeps all its CTAs resident at once, so that
        they can wait for each other (grid sync)."""
        if mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
        grid, block = _dim3(grid, "grid"), _dim3(block, "block")
        self._check_limits(grid, block)
        args = tuple(args)
        compiled = self.compile(kernel, args)
        loaded = _load(compiled, device_memory)
        self._check_launch_bounds(compiled, loaded.module.functions[compiled.entry].directives, block)
        program = loaded.program
        self._check_tensor_shapes(compiled, program)
        shared_total = program.dynamic_shared_offset + int(shared_mem) if shared_mem else program.shared_static_bytes
        self._check_shared(compiled, program, shared_mem, shared_total)

        memory = LaunchMemory(device_memory)
        for var, init in loaded.globals:
            memory.allocate(var.name, var.size_bytes, init)
        param_values, copies = _marshal(compiled, program, args, memory)
        n_ctas = grid[0] * grid[1] * grid[2]
        occupancy, registers, sample = None, None, None
        if mode != "functional":
            try:
                resources = ptxas_resources(compiled.ptx, compiled.entry, self.preset.cc)
            except PtxasError as error:
                raise PtxasError(f"{error}\nTiming mode needs ptxas's register count for occupancy; "
                                 f"mode='functional' runs the kernel without it") from error
            registers = resources.registers_per_thread
            occupancy = occupancy_for_launch(self.preset, block[0] * block[1] * block[2], registers, shared_total)
            sms = active_sms(self.preset, n_ctas)
            if cooperative and n_ctas > sms * occupancy.ctas_per_sm:
                raise LaunchError(f"cooperative launch of kernel {compiled.name} with {n_ctas} blocks: at most "
                                  f"{sms * occupancy.ctas_per_sm} blocks of this kernel can be resident at once on "
                                  f"{self.preset.sm} ({occupancy.ctas_per_sm} per SM, limited by "
                                  f"{occupancy.limiter}); CUDA refuses it (cudaErrorCooperativeLaunchTooLarge)")
            per_sm = min(occupancy.ctas_per_sm, -(-n_ctas // sms))
            if mode == "sampled" and not cooperative:
                sample = plan_sample(self.preset, n_ctas, per_sm)
            slots = (sample[0] if sample else sms) * per_sm          # every simulated SM's resident CTAs
        elif cooperative:
            slots = self._cooperative_ctas(compiled, n_ctas, block)
        else:
            slots = self._resident_ctas(n_ctas, block)
        machine = state.build(program, memory, grid, block, int(shared_mem), shared_total, sm_number(self.preset.cc),
                              self.preset.sm_count, slots, budget, reference_mode(), int(self.preset.clock_mhz))
        _write_params(machine.memory.mem, memory.layout["param_base"], program, param_values)
        return Prepared(self.preset, compiled, program, memory, machine, copies, grid, block, args, mode, occupancy,
                        registers, sample)

    def launch(self, kernel, grid, block, args=(), shared_mem: int = 0, budget: int = DEFAULT_BUDGET,
               mode: str = "timing", *, device_memory: DeviceMemory | None = None, cooperative: bool = False,
               progress=None) -> Run:
        """Run ``kernel`` over ``grid`` × ``block`` threads; arrays in ``args`` are updated in place.

        ``mode``: "timing" (cycles, time, stalls, ...), "functional" (results only, faster) or
        "sampled" (an estimate of the cycles of a big grid from a few waves on a few SMs, with its
        error bound; the kernel's results are not computed and ``args`` are left as they were).
        ``progress(machine)`` is called every few million instructions (``machine.progress()``)."""
        prepared = self.prepare(kernel, grid, block, args, shared_mem, budget, mode, device_memory=device_memory,
                                cooperative=cooperative)
        return prepared.run(progress)

    def _resident_ctas(self, n_ctas: int, block) -> int:
        """CTAs the engine keeps resident at once on its SM: as many as the SM's thread limit allows.
        The cycle model's occupancy (registers, shared memory, CTAs per SM) refines this."""
        cta_threads = -(-block[0] * block[1] * block[2] // 32) * 32
        return max(1, min(n_ctas, self.preset.max_threads_per_sm // cta_threads))

    def _cooperative_ctas(self, compiled, n_ctas: int, block) -> int:
        """All CTAs of a cooperative launch, which CUDA refuses if they cannot all be resident on the GPU."""
        most = self._resident_ctas(n_ctas, block) * self.preset.sm_count
        if n_ctas > most:
            raise LaunchError(f"cooperative launch of kernel {compiled.name} with {n_ctas} blocks: at most {most} "
                              f"blocks of this size can be resident at once on {self.preset.sm} "
                              "(CUDA: CUDA_ERROR_COOPERATIVE_LAUNCH_TOO_LARGE)")
        return n_ctas

    # ------------------------------------------------------------ checks CUDA makes at launch
    def _check_limits(self, grid, block):
        p = self.preset
        threads = block[0] * block[1] * block[2]
        if threads > p.max_threads_per_block:
            raise LaunchError(f"block of {threads} threads exceeds the {p.max_threads_per_block}-thread limit "
                              f"of {p.sm} (CUDA: too many resources requested for launch)")
        for axis, (d, limit) in enumerate(zip(block, p.max_block_dims)):
            if d > limit:
                raise LaunchError(f"block dimension {'xyz'[axis]}={d} exceeds {p.sm}'s limit {limit}")
        for axis, (d, limit) in enumerate(zip(grid, p.max_grid_dims)):
            if d > limit:
                raise LaunchError(f"grid dimension {'xyz'[axis]}={d} exceeds {p.sm}'s limit {limit}")

    def _check_launch_bounds(self, compiled, directives: dict, block):
        """A block the kernel's .maxntid / .reqntid (launch bounds) exclude (CUDA: CUDA_ERROR_INVALID_VALUE)."""
        threads = block[0] * block[1] * block[2]
        most = directives.get("maxntid")
        if most is not None and threads > most[0] * most[1] * most[2]:
            raise LaunchError(f"block of {threads} threads exceeds kernel {compiled.name}'s launch bound "
                              f".maxntid {most} (CUDA: CUDA_ERROR_INVALID_VALUE)")
        required = directives.get("reqntid")
        if required is not None and tuple(block) != tuple(required):
            raise LaunchError(f"block {block} differs from kernel {compiled.name}'s .reqntid {required} "
                              "(CUDA: CUDA_ERROR_INVALID_VALUE)")

    def _check_tensor_shapes(self, compiled, program):
        p = self.preset
        device = sm_number(p.cc)
        for shape in SHAPES:
            if shape.name in program.mma_shapes and device >= shape.min_sm and not shape.runs_on_tensor_cores(device):
                raise LaunchError(f"kernel {compiled.name} uses mma.{shape.name}, which {p.sm} runs without its "
                                  f"tensor cores (the PTX ISA promises only 'substantially reduced performance'), "
                                  f"in a way emu does not model; emu runs it on sm_{shape.min_sm} to "
                                  f"sm_{shape.last_sm} (emu.GPU('sm_{shape.min_sm}'))")

    def _check_shared(self, compiled, program, shared_mem, shared_total):
        p = self.preset
        if shared_mem < 0:
            raise LaunchError("shared_mem must be >= 0")
        if program.shared_static_bytes > p.max_shared_per_block_bytes:
            raise LaunchError(f"kernel {compiled.name} declares {program.shared_static_bytes} bytes of static "
                              f"shared memory; {p.sm} allows {p.max_shared_per_block_bytes}")
        if shared_total > p.max_shared_per_block_optin_bytes:
            raise LaunchError(f"kernel {compiled.name} needs {shared_total} bytes of shared memory "
                              f"({program.shared_static_bytes} static + {shared_mem} dynamic); {p.sm} allows at "
                              f"most {p.max_shared_per_block_optin_bytes} per block")


# ---------------------------------------------------------------- arguments
def _device_copy(array: np.ndarray) -> np.ndarray:
    """The bytes that go to the device: C or F order as the array has, else a C-ordered copy."""
    if array.flags.c_contiguous or array.flags.f_contiguous:
        return array
    return np.ascontiguousarray(array)


def _marshal(compiled: CompiledKernel, program: Program, args, memory: LaunchMemory):
    """Flatten the launch arguments to the kernel's PTX parameters, allocating arrays."""
    values: list = []
    copies: list = []
    names = [p.name for p in program.kernel_params]
    pointers = address_params(compiled.ptx, compiled.entry) if compiled.arg_types is None else frozenset()
    for position, arg in enumerate(args):
        if isinstance(arg, np.ndarray):
            dev = _device_copy(arg)
            alloc = memory.allocate(f"argument {position} ({arg.dtype}{list(arg.shape)})", dev.nbytes,
                                    dev.tobytes(order="A"))
            copies.append((arg, alloc))
            if compiled.arg_types is None:
                values.append(alloc.address)
            else:
                # numba's array data model: meminfo, parent, nitems, itemsize, data, shape..., strides...
                values += [0, 0, arg.size, arg.itemsize, alloc.address, *arg.shape, *dev.strides]
        elif isinstance(arg, (bool, np.bool_, int, float, np.integer, np.floating)):
            if isinstance(arg, np.generic) and compiled.arg_types is None and len(values) in pointers:
                raise KernelArgumentError(
                    f"kernel {compiled.name}: argument {position} is a numpy scalar ({arg.dtype} {arg!r}) but "
                    f"the kernel uses parameter {len(values)} as a pointer; pass a numpy array")
            values.append(arg)
        elif isinstance(arg, (complex, np.complexfloating)):
            values += [arg.real, arg.imag]
        else:
            raise KernelArgumentError(f"kernel {compiled.name}: argument {position} of type {type(arg).__name__} "
                              "cannot be passed (use numpy arrays and scalars)")
    if len(values) != len(names):
        raise KernelArgumentError(f"kernel {compiled.name} takes {len(names)} PTX parameters but the {len(args)} "
                          f"arguments give {len(values)}; check the number and kinds of arguments")
    return values, copies


def _write_params(mem: np.ndarray, base: int, program: Program, values) -> None:
    for slot, value in zip(program.kernel_params, values):
        ty = slot.type
        if ty in ("f32", "f64"):
            data = struct.pack("<f" if ty == "f32" else "<d", float(value))
        else:
            v = int(value) if not isinstance(value, (float, np.floating)) else \
                int(np.array(value, dtype=f"f{slot.size}").view(f"i{slot.size}"))   # a float16 in .u16
            data = (v & ((1 << (8 * slot.size)) - 1)).to_bytes(slot.size, "little")
        mem[base + slot.offset: base + slot.offset + len(data)] = np.frombuffer(data, dtype=np.uint8)


def _copy_back(array: np.ndarray, data: np.ndarray) -> None:
    if not array.flags.writeable or array.size == 0:
        return
    order = "F" if (array.flags.f_contiguous and not array.flags.c_contiguous) else "C"
    result = np.ndarray(array.shape, dtype=array.dtype, buffer=data.copy(), order=order)
    array[...] = result


# ---------------------------------------------------------------- results
def _source_of(program: Program, pc: int) -> tuple[str, str, str]:
    """(file:line, source text, PTX text) of the instruction at pc."""
    ins = program.sources[pc] if 0 <= pc < len(program.sources) else None
    if ins is None:
        return "", "", "(synthesized)"
    where, text = "", ""
    if ins.loc is not None and ins.loc.line:
        where = f"{ins.loc.file}:{ins.loc.line}"
        text = linecache.getline(ins.loc.file, ins.loc.line).strip()
    return where, text, ins.text.strip()


def _coords(linear: int, dims) -> tuple:
    return (linear % dims[0], (linear // dims[0]) % dims[1], linear // (dims[0] * dims[1]))


def _fault(err, compiled, program, memory, grid, block, args, copies) -> KernelFault:
    code, pc, thread = int(err[L.E_CODE]), int(err[L.E_PC]), int(err[L.E_THREAD])
    where, text, ptx = _source_of(program, pc)
    block_idx, thread_idx = _coords(int(err[L.E_CTA]), grid), _coords(thread, block)
    at = f"{where} `{text}`" if where else "(no source line)"
    coords = f"block {block_idx}, thread {thread_idx}"
    address = int(err[L.E_ADDR])
    if code in (L.ERR_OUT_OF_BOUNDS, L.ERR_MISALIGNED):
        space = {L.SP_GLOBAL: "global", L.SP_SHARED: "shared", L.SP_LOCAL: "local", L.SP_PARAM: "param",
                 L.SP_CONST: "const"}.get(int(err[L.E_SPACE]), "generic")
        verb = "write" if err[L.E_WRITE] else "read"
        kind = "out-of-bounds" if code == L.ERR_OUT_OF_BOUNDS else "misaligned"
        if code == L.ERR_MISALIGNED:
            detail = f"not a multiple of {int(err[L.E_SIZE])}"
        elif space in ("global", "const"):
            detail = memory.describe(address)
        else:
            size = program.shared_static_bytes if space == "shared" else program.local_bytes
            detail = f"outside the {size}-byte {space} memory"
        msg = (f"{kind} {space} {verb} of {int(err[L.E_SIZE])} bytes at address {address:#x} ({detail}) "
               f"in kernel {compiled.name}, {coords}, at {at}; PTX: {ptx}")
    elif code == L.ERR_DEADLOCK:
        msg = (f"barrier deadlock in kernel {compiled.name}: warps wait at bar.sync {int(err[L.E_INFO])} "
               f"({int(err[L.E_SIZE])} threads arrived) but the other threads of block {block_idx} can never "
               f"reach it (they exited, or wait in another branch of a diverged warp); first waiting: "
               f"thread {thread_idx} at {at}")
    elif code == L.ERR_BUDGET:
        msg = (f"kernel {compiled.name} ran past the budget of warp instructions (a runaway loop?); "
               f"it was at {at}, {coords}; raise GPU.launch(..., budget=...) if the work is real")
    elif code == L.ERR_TRAP:
        msg = f"kernel {compiled.name} executed trap (assert or abort) in {coords} at {at}"
    elif code == L.ERR_CALL_DEPTH:
        msg = f"kernel {compiled.name}: call or divergence nesting too deep at {at}, {coords}"
    else:
        msg = (f"kernel {compiled.name}: {ptx} at {at} ({coords}) needs all 32 lanes of the warp active and "
               f"converged (.aligned warp instructions such as mma.sync, and calls, cannot run diverged)")
    msg += ". The caller's arrays were not modified."
    return KernelFault(msg, kernel=compiled.name, block=block_idx, thread=thread_idx, pc=pc,
                       instruction=ptx, source=where or None, address=address)


def _report(compiled, preset, grid, block, stats, counts, program, elapsed) -> Report:
    by_line: dict = {}
    for pc in np.nonzero(counts)[0]:
        where, _, _ = _source_of(program, int(pc))
        if where:
            by_line[where] = by_line.get(where, 0) + int(counts[pc])
    hot = sorted(by_line.items(), key=lambda kv: -kv[1])[:10]
    return Report(
        kernel=compiled.name, gpu=f"{preset.name} ({preset.sm})", grid=grid, block=block,
        warp_instructions=int(stats[L.ST_WARP_INSTRUCTIONS]),
        thread_instructions=int(stats[L.ST_THREAD_INSTRUCTIONS]),
        counts_by_class={name: int(stats[L.ST_CLASS_BASE + i]) for i, name in enumerate(CLASSES)},
        global_bytes_loaded=int(stats[L.ST_GLOBAL_LOAD_BYTES]),
        global_bytes_stored=int(stats[L.ST_GLOBAL_STORE_BYTES]),
        global_load_requests=int(stats[L.ST_GLOBAL_LOADS]),
        global_store_requests=int(stats[L.ST_GLOBAL_STORES]),
        shared_loads=int(stats[L.ST_SHARED_LOADS]), shared_stores=int(stats[L.ST_SHARED_STORES]),
        local_accesses=int(stats[L.ST_LOCAL_ACCESSES]), atomics=int(stats[L.ST_ATOMICS]),
        branches=int(stats[L.ST_BRANCHES]), divergent_branches=int(stats[L.ST_DIVERGENT_BRANCHES]),
        barriers=int(stats[L.ST_BARRIERS]), emulation_seconds=elapsed, hot_lines=hot,
    )

