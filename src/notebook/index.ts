// What notebook cells need, and nothing else: setup, shape probes, plots, exercise checkers.
// Notebooks import this (compiled) as "../dist/notebook"; see notebooks/README.md.
export * from "./setup";
export * from "./display";
export * from "./probe";
export * from "./png";
export * from "./plot";
export * from "./clip";
export * from "./check";
export * from "./exercises/setup";
export * from "./exercises/sampling";
export * from "./exercises/stem";
export * from "./exercises/laterals";
export * from "./exercises/blocks";
export * from "./exercises/head";
export * from "./exercises/data";
export * from "./exercises/training";
export * from "./exercises/whole_model";
export * from "./bars";
export * from "./costs";
export * from "./exercises/pretrained";
