// A command that ends with an exit code of its own (wait-job: the job did not complete), having
// already said why. main.ts returns the code without printing anything more.
export class ExitCode extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}
