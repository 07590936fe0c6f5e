/** The JSON body of a fetch response, untyped (tests assert on its shape). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const bodyOf = (res: Response): Promise<any> => res.json();
