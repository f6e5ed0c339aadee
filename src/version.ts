/** The kernel's own version; plugins declare a compatible range against it. Kept equal to package.json by a test. */
export const KERNEL_VERSION = "1.0.0";
