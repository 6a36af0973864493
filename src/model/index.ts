// The model library, in the order a learner meets it.
export * from "./config";
export * from "./shape";
export * from "./sampling";
export * from "./params";
export * from "./layers/conv3d";
export * from "./layers/batchnorm";
export * from "./layers/conv_module";
export * from "./stem";
export * from "./lateral";
export * from "./blocks";
export * from "./head";
export * from "./slowfast";
export * from "./summary";
