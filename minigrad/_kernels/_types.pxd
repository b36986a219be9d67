# Fused types shared by every kernel module: one specialisation per supported dtype.
ctypedef fused real:
    float
    double
