// What every part of the generator uses; the files name only what is particular to them.
global using System;
global using System.Collections.Generic;
global using System.Linq;
global using Unroll.Generators.Emitting;
global using Unroll.Generators.Layers;
global using Unroll.Generators.Model;
global using Unroll.Generators.Planning;
