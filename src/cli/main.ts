// The `slowfast` command line: thin; each subcommand lives in its own file and calls the library.
import { Command } from "commander";
import { summaryCommand } from "./summary";
import { dataCommand } from "./data";
import { evalCommand } from "./eval";
import { exportCommand } from "./export";
import { importCommand } from "./import";
import { inferCommand } from "./infer";
import { startCommand } from "./start";
import { studyCommand } from "./study";
import { trainCommand } from "./train";

const program = new Command()
  .name("slowfast")
  .description("SlowFast (mmaction2's ResNet3dSlowFast + SlowFastHead) in TypeScript: inspect, train, evaluate; import, infer and export mmaction2 weights")
  .showHelpAfterError();

program.addCommand(summaryCommand());
program.addCommand(dataCommand());
program.addCommand(trainCommand());
program.addCommand(evalCommand());
program.addCommand(startCommand());
program.addCommand(studyCommand());
program.addCommand(importCommand());
program.addCommand(inferCommand());
program.addCommand(exportCommand());

program.parseAsync(process.argv).catch((err: unknown) => {
  console.error(`slowfast: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
