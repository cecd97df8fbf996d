/* emu: a stand-in for the host header, which NVRTC does not have. Device code needs nothing
   from it: NVRTC declares printf and assert itself. Kernels written for nvcc include it; with this they compile. */
