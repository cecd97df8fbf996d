"""Layout of the decoded program and of the machine state the engine runs on.

The decoder (``emu.program.decode``) writes these arrays and the engine
(the jitted modules of ``emu.engine``) reads them; nothing else looks inside.

Decoded program
---------------
``code``: int64[n_instructions, N_FIELDS], one row per instruction, columns F_*.
Operands live in three parallel arrays indexed from ``code[pc, F_SRC]`` (sources)
and ``code[pc, F_DST]`` (destinations):

    opnd_kind[i]  OK_* (register, immediate, special register, sink)
    opnd_val[i]   register slot | immediate bits (int64) | special-register id
    opnd_f[i]     the immediate as a float64 value (for float instructions)

Register file
-------------
``regs``: int64, flat: register v of thread t at ``regs[v * T + t]``. Every PTX
register of every function gets one slot v (predicates too, holding 0 or 1).
The T threads are those of all resident CTAs (``emu.engine.state``): CTA slot
s holds threads ``s * 32 * warps_per_cta ...`` (each CTA padded to whole warps),
so a warp's 32 lanes of one register are contiguous. Values are kept
zero- or sign-extended as the instruction wrote them; readers always take the
width of the instruction's type from the low bits. After the T columns of the
last register come N_SCRATCH rows of 32 for the fast paths.

Addresses
---------
Generic addresses (what ``ld``/``st`` without a state space use, and what
``cvta`` produces) partition one 64-bit space into windows: the shared window
maps to the CTA's shared memory, the local window to the thread's local
memory, and everything else is global memory (the device heap).
"""

import numpy as np

from emu.isa.table import OPCODE_ID as _ID
from emu.isa.table import OPCODES as _OPCODES
from emu.isa.wmma import FRAGMENTS as _WMMA_FRAGMENTS
from emu.numerics.formats import ROUND_RM, ROUND_RN, ROUND_RNA, ROUND_RP, ROUND_RZ

# ------------------------------------------------------------ code columns
F_OP = 0          # opcode id (emu.isa.table.OPCODE_ID)
F_TY = 1          # primary type id (TY_*); mma: accumulator code (emu.isa.fragments.ACCUMULATORS)
F_TY2 = 2         # secondary type: cvt source type, set/slct type; mma: input code (emu.isa.fragments.INPUT_TYPES)
F_RND = 3         # rounding mode RND_*
F_FLAGS = 4       # FL_* bit set
F_SUB = 5         # sub-operation: comparison, atomic op, shuffle mode, vote mode, mul mode, mma shape, wmma WMMA_*
F_GUARD = 6       # guard predicate slot, or -1
F_GUARD_NEG = 7   # 1 if the guard is @!%p
F_TARGET = 8      # branch target pc / callee entry pc
F_RECONV = 9      # immediate post-dominator pc of a branch (reconvergence point); PC_NEVER if none
F_SPACE = 10      # state space SP_* of a memory instruction
F_VEC = 11        # vector width of ld/st (1, 2, 4); mma: layouts (emu.isa.fragments.LAYOUTS); wmma: emu.isa.wmma.SHAPES
F_SRC = 12        # first source operand index
F_NSRC = 13
F_DST = 14        # first destination operand index
F_NDST = 15
F_OFFSET = 16     # address offset of a memory operand (bytes)
F_CLASS = 17      # instruction class id (emu.isa.table.CLASS_ID)
F_AUX = 18        # opcode-specific extra (setp: boolean combiner; carry ops: CC slot; mma: number of A registers)
F_WIDTH = 19      # size in bytes of the type / of one element of a memory access (mma: number of B registers)
F_EXEC = 20       # the engine routine that executes the instruction (EX_*), chosen at decode time
F_PIPE = 21       # issue pipe id (emu.isa.table.PIPE_ID)
F_LATENCY = 22    # latency class id (emu.isa.table.LATENCY_ID; cycles: the preset's latencies)
F_FAST = 23       # the fast path (FAST_*) that runs the instruction over whole register rows, or FAST_NONE
N_FIELDS = 24

PC_NEVER = -1     # a branch whose paths never meet again (one side exits)

# ------------------------------------------------------------ engine routines (F_EXEC)
# The decoder picks one per instruction from the ISA table's rule for the
# instruction's type, state space and form; the engine dispatches on it alone.
# In the order of emu.isa.table.ROUTINES (EX_<NAME> is its index there).
(EX_INT, EX_CARRY, EX_FLOAT32, EX_FLOAT64, EX_HALF, EX_TESTP, EX_COMPARE, EX_CONVERT,
 EX_LDST, EX_ATOMIC, EX_WARP, EX_BRANCH, EX_CALL, EX_PRINTF, EX_RET, EX_EXIT, EX_TRAP,
 EX_BARRIER, EX_NOP, EX_LDMATRIX, EX_WMMA_LDST, EX_TENSOR) = range(22)

# ------------------------------------------------------------ fast paths (F_FAST)
# Chosen by the decoder (emu.program.decode._fast_path) for the opcodes the ISA table
# marks ``fast``, when the form is one the row loops of emu.engine.fast implement.
FAST_NONE, FAST_MOV, FAST_INT, FAST_F32, FAST_F64, FAST_SELP, FAST_SETP_INT, FAST_SETP_F32, FAST_CVT_INT = range(9)

# ------------------------------------------------------------ operand kinds
OK_NONE = 0
OK_REG = 1
OK_IMM = 2
OK_SPECIAL = 3
OK_SINK = 4

# ------------------------------------------------------------ types
# id = kind * 16 + log2(bytes)   (kind: unsigned, signed, bits, float, pred, bf16 family, packed halves)
TK_U, TK_S, TK_B, TK_F, TK_PRED, TK_BF, TK_F16X2, TK_BF16X2 = range(8)
TYPE_IDS = {
    "u8": TK_U * 16 + 0, "u16": TK_U * 16 + 1, "u32": TK_U * 16 + 2, "u64": TK_U * 16 + 3,
    "s8": TK_S * 16 + 0, "s16": TK_S * 16 + 1, "s32": TK_S * 16 + 2, "s64": TK_S * 16 + 3,
    "b8": TK_B * 16 + 0, "b16": TK_B * 16 + 1, "b32": TK_B * 16 + 2, "b64": TK_B * 16 + 3,
    "b128": TK_B * 16 + 4,
    "f16": TK_F * 16 + 1, "f32": TK_F * 16 + 2, "f64": TK_F * 16 + 3,
    "pred": TK_PRED * 16 + 0,
    "bf16": TK_BF * 16 + 1,
    "f16x2": TK_F16X2 * 16 + 2,
    "bf16x2": TK_BF16X2 * 16 + 2,
    "tf32": TK_F * 16 + 6,   # a 32-bit container; only cvt and mma use it
}
TY_NONE = -1
TY_F16 = TYPE_IDS["f16"]
TY_F32 = TYPE_IDS["f32"]
TY_F64 = TYPE_IDS["f64"]
TY_BF16 = TYPE_IDS["bf16"]
TY_F16X2 = TYPE_IDS["f16x2"]
TY_BF16X2 = TYPE_IDS["bf16x2"]
TY_TF32 = TYPE_IDS["tf32"]
TY_PRED = TYPE_IDS["pred"]

# ------------------------------------------------------------ rounding modes (the numerics module's numbers)
RND_NONE = -1
RND_RN, RND_RZ, RND_RM, RND_RP, RND_RNA = ROUND_RN, ROUND_RZ, ROUND_RM, ROUND_RP, ROUND_RNA
RND_IS_INTEGER = 8   # added to the mode for cvt's integer rounding (.rni .rzi .rmi .rpi)

# ------------------------------------------------------------ flags
FL_FTZ = 1
FL_SAT = 2
FL_APPROX = 4
FL_FULL = 8
FL_NC = 16            # ld.global.nc (read-only path)
FL_UNI = 32
FL_RELU = 64
FL_SATFINITE = 128
FL_CC = 256           # carry (add.cc / addc): carry in/out through the thread's CC flag
FL_NAN = 2048         # min/max .NaN

# ------------------------------------------------------------ sub-operations
# mul / mad modes
MUL_LO, MUL_HI, MUL_WIDE = 0, 1, 2
# comparisons (setp/set/slct): ordered, then unordered variants
CMP_EQ, CMP_NE, CMP_LT, CMP_LE, CMP_GT, CMP_GE = 0, 1, 2, 3, 4, 5
CMP_LO, CMP_LS, CMP_HI, CMP_HS = 6, 7, 8, 9
CMP_EQU, CMP_NEU, CMP_LTU, CMP_LEU, CMP_GTU, CMP_GEU = 10, 11, 12, 13, 14, 15
CMP_NUM, CMP_NAN = 16, 17
CMP_NAMES = {
    "eq": CMP_EQ, "ne": CMP_NE, "lt": CMP_LT, "le": CMP_LE, "gt": CMP_GT, "ge": CMP_GE,
    "lo": CMP_LO, "ls": CMP_LS, "hi": CMP_HI, "hs": CMP_HS,
    "equ": CMP_EQU, "neu": CMP_NEU, "ltu": CMP_LTU, "leu": CMP_LEU, "gtu": CMP_GTU, "geu": CMP_GEU,
    "num": CMP_NUM, "nan": CMP_NAN,
}
# boolean combination of setp (setp.lt.and ...)
BOOL_NONE, BOOL_AND, BOOL_OR, BOOL_XOR = 0, 1, 2, 3
# atomic operations
ATOM_ADD, ATOM_MIN, ATOM_MAX, ATOM_EXCH, ATOM_CAS, ATOM_AND, ATOM_OR, ATOM_XOR, ATOM_INC, ATOM_DEC = range(10)
ATOM_NAMES = {"add": ATOM_ADD, "min": ATOM_MIN, "max": ATOM_MAX, "exch": ATOM_EXCH, "cas": ATOM_CAS,
              "and": ATOM_AND, "or": ATOM_OR, "xor": ATOM_XOR, "inc": ATOM_INC, "dec": ATOM_DEC}
# shfl modes
SHFL_UP, SHFL_DOWN, SHFL_BFLY, SHFL_IDX = 0, 1, 2, 3
# vote modes
VOTE_ALL, VOTE_ANY, VOTE_UNI, VOTE_BALLOT = 0, 1, 2, 3
# testp classes
TESTP_FINITE, TESTP_INFINITE, TESTP_NUMBER, TESTP_NOTANUMBER, TESTP_NORMAL, TESTP_SUBNORMAL = range(6)
# shf modes (F_SUB) with F_FLAGS bit FL_SAT meaning .clamp is not used: SHF_L/R and clamp/wrap
SHF_L_CLAMP, SHF_L_WRAP, SHF_R_CLAMP, SHF_R_WRAP = 0, 1, 2, 3
# barrier kinds (F_SUB of bar/barrier)
BAR_SYNC, BAR_ARRIVE, BAR_RED_POPC, BAR_RED_AND, BAR_RED_OR, BAR_WARP_SYNC = range(6)
# mov / cvt variants (F_SUB of mov)
MOV_PLAIN, MOV_PACK, MOV_UNPACK = 0, 1, 2
# cvta direction (F_SUB)
CVTA_TO_GENERIC, CVTA_TO_SPACE = 0, 1
# control sub-ops (F_SUB of call)
CALL_FUNC, CALL_VPRINTF = 0, 1
# match modes
MATCH_ANY, MATCH_ALL = 0, 1
# bfind result: bit position, or .shiftamt (the left shift that brings it to the top)
BFIND_POSITION, BFIND_SHIFTAMT = 0, 1
# ldmatrix: rows as stored, or .trans
LDMATRIX_PLAIN, LDMATRIX_TRANS = 0, 1
# wmma (F_SUB): the fragment a load or store moves (index in emu.isa.wmma.FRAGMENTS), or the mma
WMMA_A, WMMA_B, WMMA_C, WMMA_D = (_WMMA_FRAGMENTS.index(k) for k in ("a", "b", "c", "d"))
WMMA_MMA = len(_WMMA_FRAGMENTS)
# wmma load/store layout (F_AUX)
WMMA_ROW_MAJOR, WMMA_COL_MAJOR = 0, 1
# redux ops
REDUX_ADD, REDUX_MIN, REDUX_MAX, REDUX_AND, REDUX_OR, REDUX_XOR = range(6)

# ------------------------------------------------------------ state spaces
SP_GENERIC, SP_GLOBAL, SP_SHARED, SP_LOCAL, SP_PARAM, SP_CONST = range(6)
SPACE_NAMES = {"global": SP_GLOBAL, "shared": SP_SHARED, "local": SP_LOCAL, "param": SP_PARAM, "const": SP_CONST}

# ------------------------------------------------------------ special registers (OK_SPECIAL values)
SR_TID_X, SR_TID_Y, SR_TID_Z = 0, 1, 2
SR_NTID_X, SR_NTID_Y, SR_NTID_Z = 3, 4, 5
SR_CTAID_X, SR_CTAID_Y, SR_CTAID_Z = 6, 7, 8
SR_NCTAID_X, SR_NCTAID_Y, SR_NCTAID_Z = 9, 10, 11
SR_LANEID, SR_WARPID, SR_NWARPID, SR_SMID, SR_NSMID = 12, 13, 14, 15, 16
SR_CLOCK, SR_CLOCK64, SR_GLOBALTIMER = 17, 18, 19
SR_LANEMASK_EQ, SR_LANEMASK_LT, SR_LANEMASK_LE, SR_LANEMASK_GT, SR_LANEMASK_GE = 20, 21, 22, 23, 24
SR_DYNAMIC_SMEM_SIZE, SR_TOTAL_SMEM_SIZE = 25, 26
SPECIAL_IDS = {
    ("tid", "x"): SR_TID_X, ("tid", "y"): SR_TID_Y, ("tid", "z"): SR_TID_Z,
    ("ntid", "x"): SR_NTID_X, ("ntid", "y"): SR_NTID_Y, ("ntid", "z"): SR_NTID_Z,
    ("ctaid", "x"): SR_CTAID_X, ("ctaid", "y"): SR_CTAID_Y, ("ctaid", "z"): SR_CTAID_Z,
    ("nctaid", "x"): SR_NCTAID_X, ("nctaid", "y"): SR_NCTAID_Y, ("nctaid", "z"): SR_NCTAID_Z,
    ("laneid", None): SR_LANEID, ("warpid", None): SR_WARPID, ("nwarpid", None): SR_NWARPID,
    ("smid", None): SR_SMID, ("nsmid", None): SR_NSMID,
    ("clock", None): SR_CLOCK, ("clock64", None): SR_CLOCK64, ("globaltimer", None): SR_GLOBALTIMER,
    ("lanemask_eq", None): SR_LANEMASK_EQ, ("lanemask_lt", None): SR_LANEMASK_LT,
    ("lanemask_le", None): SR_LANEMASK_LE, ("lanemask_gt", None): SR_LANEMASK_GT,
    ("lanemask_ge", None): SR_LANEMASK_GE,
    ("dynamic_smem_size", None): SR_DYNAMIC_SMEM_SIZE, ("total_smem_size", None): SR_TOTAL_SMEM_SIZE,
}

# ------------------------------------------------------------ generic address windows
SHARED_WINDOW = 0x0000_1000_0000_0000
LOCAL_WINDOW = 0x0000_2000_0000_0000
WINDOW_SIZE = 0x0000_0001_0000_0000
GLOBAL_BASE = 0x0000_7000_0000_0000   # first byte of the device heap

# ------------------------------------------------------------ errors reported by the engine (err[0])
ERR_NONE = 0
ERR_OUT_OF_BOUNDS = 1
ERR_MISALIGNED = 2
ERR_DEADLOCK = 3
ERR_BUDGET = 4
ERR_TRAP = 5
ERR_UNSUPPORTED = 6     # a decoded combination the engine does not execute
ERR_CALL_DEPTH = 7
# err array fields
E_CODE, E_PC, E_CTA, E_THREAD, E_ADDR, E_SPACE, E_SIZE, E_WRITE, E_INFO = range(9)
N_ERR = 9

# ------------------------------------------------------------ opcode ids (from the ISA table)
OP_ADD, OP_SUB, OP_MUL, OP_MAD, OP_FMA = _ID["add"], _ID["sub"], _ID["mul"], _ID["mad"], _ID["fma"]
OP_DIV, OP_REM, OP_ABS, OP_NEG, OP_MIN, OP_MAX = _ID["div"], _ID["rem"], _ID["abs"], _ID["neg"], _ID["min"], _ID["max"]
OP_MUL24, OP_MAD24, OP_SAD = _ID["mul24"], _ID["mad24"], _ID["sad"]
OP_ADDC, OP_SUBC, OP_MADC = _ID["addc"], _ID["subc"], _ID["madc"]
OP_POPC, OP_CLZ, OP_BREV, OP_BFIND, OP_BFE, OP_BFI, OP_PRMT = (
    _ID["popc"], _ID["clz"], _ID["brev"], _ID["bfind"], _ID["bfe"], _ID["bfi"], _ID["prmt"])
OP_AND, OP_OR, OP_XOR, OP_NOT, OP_CNOT, OP_SHL, OP_SHR, OP_SHF = (
    _ID["and"], _ID["or"], _ID["xor"], _ID["not"], _ID["cnot"], _ID["shl"], _ID["shr"], _ID["shf"])
OP_RCP, OP_SQRT, OP_RSQRT, OP_EX2, OP_LG2, OP_SIN, OP_COS, OP_TANH = (
    _ID["rcp"], _ID["sqrt"], _ID["rsqrt"], _ID["ex2"], _ID["lg2"], _ID["sin"], _ID["cos"], _ID["tanh"])
OP_COPYSIGN, OP_TESTP = _ID["copysign"], _ID["testp"]
OP_SETP, OP_SET, OP_SELP, OP_SLCT = _ID["setp"], _ID["set"], _ID["selp"], _ID["slct"]
OP_MOV, OP_CVT, OP_CVTA = _ID["mov"], _ID["cvt"], _ID["cvta"]
OP_LD, OP_ST, OP_ATOM, OP_RED = _ID["ld"], _ID["st"], _ID["atom"], _ID["red"]
OP_BRA, OP_CALL, OP_RET, OP_EXIT, OP_TRAP = _ID["bra"], _ID["call"], _ID["ret"], _ID["exit"], _ID["trap"]
OP_BAR, OP_BARRIER, OP_MEMBAR, OP_FENCE = _ID["bar"], _ID["barrier"], _ID["membar"], _ID["fence"]
OP_SHFL, OP_VOTE, OP_ACTIVEMASK, OP_MATCH, OP_REDUX = (
    _ID["shfl"], _ID["vote"], _ID["activemask"], _ID["match"], _ID["redux"])
OP_MMA, OP_LDMATRIX, OP_WMMA = _ID["mma"], _ID["ldmatrix"], _ID["wmma"]

# implicit operands per opcode id, from the ISA table: reads the carry flag CC.CF always; writes it
# (in its .cc form, FL_CC); writes its destination when a barrier completes (bar.red)
READS_CARRY = np.array([any(i.operand == "CC.CF" and i.access == "read" for i in s.implicit) for s in _OPCODES])
WRITES_CARRY = np.array([any(i.operand == "CC.CF" and i.access == "write" for i in s.implicit) for s in _OPCODES])
WRITES_AT_RELEASE = np.array([any(i.access == "write_at_release" for i in s.implicit) for s in _OPCODES])

# ------------------------------------------------------------ statistics (stats array)
ST_WARP_INSTRUCTIONS = 0
ST_THREAD_INSTRUCTIONS = 1
ST_GLOBAL_LOAD_BYTES = 2
ST_GLOBAL_STORE_BYTES = 3
ST_GLOBAL_LOADS = 4          # warp-level requests
ST_GLOBAL_STORES = 5
ST_SHARED_LOADS = 6
ST_SHARED_STORES = 7
ST_LOCAL_ACCESSES = 8
ST_ATOMICS = 9
ST_BRANCHES = 10
ST_DIVERGENT_BRANCHES = 11
ST_BARRIERS = 12
ST_CLASS_BASE = 16           # + class id (emu.isa.table.CLASSES)
N_STATS = 32

# warp states
W_READY, W_BARRIER, W_DONE, W_TENSOR = 0, 1, 2, 3     # W_TENSOR: at a tensor instruction the driver runs
# what issue() / run_warp() / run() report
R_ISSUED, R_BLOCKED, R_DONE, R_SLICE, R_ERROR, R_TENSOR = range(6)

MAX_STACK = 64               # SIMT stack entries per warp
MAX_CALLS = 32               # device-function call depth
SLICE = 100000               # instructions a warp runs before the next warp's turn (keeps progress fair)
RUN_SLICE = 1 << 22          # warp instructions per call of run() (Python then sees Ctrl-C)
FULL = 0xFFFFFFFF
N_SCRATCH = 4                # rows at the end of regs for the fast paths (see fast.src_row)
N_ADDRESS_ROWS = 16          # rows of per-lane addresses one instruction can produce (wmma: one per element)

# launch geometry and progress (grid array)
(G_GRID_X, G_GRID_Y, G_GRID_Z, G_BLOCK_X, G_BLOCK_Y, G_BLOCK_Z, G_DYN_SMEM, G_TOTAL_SMEM, G_CC, G_N_SMS,
 G_SLOTS,             # resident-CTA slots of the SM
 G_CTA_WARPS,         # warps per CTA
 G_CTA_THREADS,       # threads per CTA
 G_NEXT_CTA,          # next CTA to place in a free slot
 G_END_CTA,           # one past the last CTA to run
 G_CTAS_DONE,         # CTAs completed
 G_BUDGET,            # warp instructions before the launch is a runaway
 G_REFERENCE,         # 1: no fast paths, only the per-lane definitions run (EMU_REFERENCE=1)
 G_CTA_STRIDE,        # CTAs between one the SM runs and the next (1; the SM count in timing mode)
 G_CLOCK_MHZ,         # the SM clock, for %globaltimer
 ) = range(20)
N_G = 20

# what the last issued instruction did (issued array), for a timing model
(I_PC,                # the instruction (its pipe and registers are in the decoded program)
 I_MASK,              # lanes that executed it
 I_SPACE,             # memory instructions: the state space accessed, else -1
 I_ACCESS_BYTES,      # bytes per lane per address row
 I_ADDRESS_ROWS,      # rows of ``addresses`` holding the per-lane buffer offsets
 ) = range(5)
N_I = 5

# per-CTA special register values (sreg array: one row per resident-CTA slot)
SV_NTID_X, SV_NTID_Y, SV_NTID_Z = 0, 1, 2
SV_CTAID_X, SV_CTAID_Y, SV_CTAID_Z = 3, 4, 5
SV_NCTAID_X, SV_NCTAID_Y, SV_NCTAID_Z = 6, 7, 8
SV_NWARPS, SV_SMID, SV_NSM, SV_DYN_SMEM, SV_TOTAL_SMEM, SV_CLOCK, SV_CC = 9, 10, 11, 12, 13, 14, 15
SV_CLOCK_MHZ = 16     # %clock counts SM cycles (in functional mode: the slot's warp instructions); %globaltimer ns
N_SV = 17

# memory layout (mlay array): where the launch's areas lie in the memory buffer. Each resident-CTA
# slot has its own shared window (ML_SHARED_BASE + slot * ML_SHARED_STRIDE); local memory is per
# register-file thread (ML_LOCAL_BASE + t * ML_LOCAL_SIZE); slot = t // ML_SLOT_THREADS.
(ML_PARAM_BASE, ML_PARAM_SIZE, ML_SHARED_BASE, ML_SHARED_SIZE, ML_SHARED_STRIDE, ML_LOCAL_BASE, ML_LOCAL_SIZE,
 ML_HEAP_SIZE, ML_SLOT_THREADS) = range(9)
N_ML = 9

# ------------------------------------------------------------ the cycle model (emu.engine.timing)
# Stall reasons, named as Nsight Compute names them (smsp__pcsamp_warps_issue_stalled_<name>):
# every cycle a resident warp spends is counted under one of them.
STALL_NAMES = ("selected", "not_selected", "wait", "short_scoreboard", "long_scoreboard", "barrier",
               "math_pipe_throttle", "mio_throttle", "lg_throttle")
(STALL_SELECTED, STALL_NOT_SELECTED, STALL_WAIT, STALL_SHORT_SCOREBOARD, STALL_LONG_SCOREBOARD, STALL_BARRIER,
 STALL_MATH_THROTTLE, STALL_MIO_THROTTLE, STALL_LG_THROTTLE) = range(9)
N_STALLS = 9

# per-pc timing columns (timing.pc_info)
(P_PIPE,              # issue pipe id (emu.isa.table.PIPE_ID)
 P_INTERVAL,          # cycles the instruction occupies its pipe of the sub-partition, in 1/INTERVAL_UNIT cycles
 P_LATENCY,           # cycles until its results can be used (memory instructions: the memory model's)
 P_DEPENDENCY,        # stall reason while an instruction waits for this one's results (STALL_*)
 P_THROTTLE,          # stall reason while an instruction waits for its busy pipe (STALL_*)
 P_MEMORY,            # MEM_* kind of memory access
 P_FLOP_KIND,         # FLOP_* precision of the FLOPs it does, or -1
 P_FLOPS,             # FLOPs per active thread (tensor instructions: per warp)
 P_NREADS, P_NWRITES, # registers read and written (P_REGS onwards: reads, then writes)
 P_REGS) = range(11)
PC_REGS = 40          # room for the registers of one instruction (wmma.mma: 8 + 8 + 8 sources, 8 results)
N_P = P_REGS + PC_REGS

INTERVAL_UNIT = 256   # pipe occupancy is kept in fractions of a cycle (a tensor MMA may take 8.4 cycles)
MEM_NONE, MEM_LOAD, MEM_STORE, MEM_ATOMIC = range(4)
FLOP_KINDS = ("fp16", "bf16", "tf32", "fp32", "fp64", "fp8")
FLOP_FP16, FLOP_BF16, FLOP_TF32, FLOP_FP32, FLOP_FP64, FLOP_FP8 = range(6)

# timing parameters (timing.params), from the preset; cycles unless named otherwise
(T_SUB_PARTITIONS, T_SCHEDULER,            # SCHED_*
 T_SHARED_CYCLES, T_L1_CYCLES, T_L2_NEAR_CYCLES, T_L2_FAR_CYCLES, T_DRAM_NEAR_CYCLES, T_DRAM_FAR_CYCLES,
 T_ATOMIC_CYCLES, T_CONST_CYCLES, T_SYNC_CYCLES,
 T_L1_SETS, T_L1_WAYS, T_L2_SETS, T_L2_WAYS,
 T_L2_PARTITIONS,     # 2: near and far L2 halves (A100, H100); 1: one L2 latency
 T_SMS,               # SMs simulated: those the launch has CTAs for (slot s is on SM s % T_SMS)
 T_LOCAL_BASE, T_LOCAL_SIZE, T_THREADS,     # local memory: ML_LOCAL_BASE, ML_LOCAL_SIZE, register-file threads
 ) = range(20)
N_T = 20
SCHED_GTO, SCHED_LRR = 0, 1
(TR_L2_SECTOR_CYCLES,    # cycles of this SM's share of L2 bandwidth one 32-byte sector takes
 TR_DRAM_SECTOR_CYCLES,  # ... of DRAM bandwidth
 ) = range(2)
N_TR = 2

# timing counters (timing.counters), over the whole GPU
(TC_ISSUED,           # warp instructions issued
 TC_GLOBAL_REQUESTS, TC_SECTORS, TC_L1_HITS, TC_L1_MISSES, TC_L2_HITS, TC_L2_MISSES,
 TC_DRAM_READ_BYTES, TC_DRAM_WRITE_BYTES,
 TC_SHARED_REQUESTS, TC_SHARED_WAVEFRONTS, TC_SHARED_IDEAL_WAVEFRONTS,
 TC_TENSOR_BUSY,      # sub-partition cycles the tensor units were busy
 TC_STALL_BASE,       # + STALL_*: warp cycles by stall reason
 ) = range(14)
TC_FLOP_BASE = TC_STALL_BASE + N_STALLS      # + FLOP_*: FLOPs by precision
N_TC = TC_FLOP_BASE + len(FLOP_KINDS)
MAX_BLOCKS = N_ADDRESS_ROWS * 32 * 4           # distinct sectors or shared words one instruction can touch
