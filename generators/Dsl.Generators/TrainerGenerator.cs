namespace Dsl.Generators;
