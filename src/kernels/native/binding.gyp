{
  "targets": [
    {
      "target_name": "rulebench_native",
      "sources": ["addon.c"],
      "include_dirs": ["<!@(node -p \"process.env.RULEBENCH_OPENBLAS_INCLUDE || '/usr/include/x86_64-linux-gnu/openblas-pthread'\")"],
      "libraries": ["-lopenblas"],
      "cflags": ["-O2"]
    }
  ]
}
