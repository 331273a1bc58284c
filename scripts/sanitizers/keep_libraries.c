/* LD_PRELOADed by scripts/test-sanitizers.sh: a dlclose() that keeps the library mapped. Mesa
   unloads its GL driver in eglTerminate(); a leak the driver keeps is then reported with frames
   in "<unknown module>", which no suppression can name. Kept mapped, its frames carry the
   driver's name and lsan.supp (third-party libraries only) matches them. */
int dlclose(void* handle) {
  (void)handle;
  return 0;
}
