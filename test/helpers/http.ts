/** The JSON body of a fetch response, untyped (tests assert on its shape). */

export const bodyOf = (res: Response): Promise<any> => res.json();
